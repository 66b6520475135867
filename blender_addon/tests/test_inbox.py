"""The agent's messages waiting to be applied (core/inbox.py), and the pump that
applies them within a time budget per tick (Session.pump)."""
import random
import unittest

from fakes import FakeWorld, connected, obj_msg, xf
from core import protocol as P
from core.inbox import Inbox
from core.history_preview import Hold
from core.session import CATCH_UP


def msg(oid, x=0.0, pose=None, full=False):
    m = obj_msg(oid, 'O' + oid, xform=xf(x), pose=pose, full=full)
    return P.decode(__import__('json').dumps(m))


def drain(box, now=0.0):
    out = []
    while True:
        m = box.next(now)
        if m is None:
            return out
        out.append(m)


def where(m):
    r = m.get('object')
    return (r.id, r.xform[1][0]) if r is not None else m['type']


class InboxTest(unittest.TestCase):
    def test_messages_come_out_in_order(self):
        box = Inbox()
        box.add([msg('a', 1), msg('b', 2), {'type': 'delete', 'id': 'c'}, msg('c', 3)], 0.0)
        self.assertEqual(len(box), 4)
        self.assertEqual([where(m) for m in drain(box)], [('a', 1.0), ('b', 2.0), 'delete', ('c', 3.0)])
        self.assertEqual(len(box), 0)

    def test_an_object_changed_twice_is_applied_once_at_the_newer_place_with_every_bone(self):
        box = Inbox()
        box.add([msg('a', 1, pose={'arm': xf(1), 'leg': xf(1)}), msg('b', 2), msg('a', 3, pose={'arm': xf(3)})], 0.0)
        out = drain(box)
        self.assertEqual([where(m) for m in out], [('b', 2.0), ('a', 3.0)])
        pose = out[1]['object'].pose
        self.assertEqual(pose, {'arm': xf(3), 'leg': xf(1)}, 'the newer bone wins, the older one is kept')
        self.assertEqual(box.folded, 1)

    def test_three_changes_of_one_bone_end_with_the_newest_though_a_later_message_lacks_it(self):
        box = Inbox()
        box.add([msg('a', 1, pose={'arm': xf(1)}), msg('a', 2, pose={'arm': xf(2)}), msg('a', 3, pose={'leg': xf(3)})], 0.0)
        (r,) = [m['object'] for m in drain(box)]
        self.assertEqual(r.pose, {'arm': xf(2), 'leg': xf(3)})

    def test_every_bone_ends_with_its_newest_value_whatever_the_ticks(self):
        for seed in range(100):
            rnd = random.Random(seed)
            box, want, got, t = Inbox(max_defer=0.1), {}, {}, 0.0
            for _ in range(100):
                t += rnd.random() * 0.03
                batch = []
                for _ in range(rnd.randrange(6)):
                    oid, bone, v = f'r{rnd.randrange(3)}', f'b{rnd.randrange(5)}', rnd.randrange(1000)
                    want[(oid, bone)] = xf(v)
                    batch.append(msg(oid, pose={bone: xf(v)}))
                box.add(batch, t)
                for _ in range(rnd.randrange(5)):
                    m = box.next(t)
                    if m is None:
                        break
                    got.update(((m['id'], b), x) for b, x in m['object'].pose.items())
            for m in drain(box, t + 1):
                got.update(((m['id'], b), x) for b, x in m['object'].pose.items())
            self.assertEqual(got, want, f'seed {seed}')

    def test_a_removed_bone_stays_removed_and_a_full_pose_stays_full(self):
        box = Inbox()
        box.add([msg('a', 1, pose={'arm': xf(1), 'leg': xf(1)}, full=True), msg('a', 2, pose={'leg': None})], 0.0)
        (r,) = [m['object'] for m in drain(box)]
        self.assertEqual(r.pose, {'arm': xf(1), 'leg': None})
        self.assertTrue(r.full)

    def test_nothing_is_folded_across_a_message_that_is_not_an_object_change(self):
        for other in ({'type': 'delete', 'id': 'a'}, {'type': 'scene', 'objects': []}, {'type': 'status', 'status': 'synced'},
                      {'type': 'data', 'id': 'd', 'kind': 'MESH'}):
            box = Inbox()
            box.add([msg('a', 1), other, msg('a', 2)], 0.0)
            self.assertEqual([where(m) for m in drain(box)], [('a', 1.0), other['type'], ('a', 2.0)], other['type'])
        box = Inbox()
        box.add([msg('a', 1), {'type': 'peers', 'peers': []}, msg('a', 2)], 0.0)
        self.assertEqual([where(m) for m in drain(box)], ['peers', ('a', 2.0)], 'who is here says nothing of objects')

    def test_a_change_is_not_deferred_by_folding_longer_than_max_defer(self):
        box = Inbox(max_defer=0.1)
        box.add([msg('a', 1), msg('b', 1), msg('a', 2)], 0.0)
        self.assertEqual(where(box.next(0.0)), ('b', 1.0), 'the first move of a is folded into the second')
        box.add([msg('a', 3)], 0.12)
        # The change the second one carries has waited since 0.0: it is applied, not folded again.
        self.assertEqual(where(box.next(0.15)), ('a', 2.0))
        self.assertEqual(where(box.next(0.15)), ('a', 3.0))
        box.add([msg('a', 4)], 0.2)
        box.add([msg('a', 5)], 0.21)
        self.assertEqual([where(m) for m in drain(box, 0.22)], [('a', 5.0)])

    def test_drain_gives_every_waiting_message_unfolded(self):
        box = Inbox()
        box.add([msg('a', 1), msg('a', 2), {'type': 'peers', 'peers': []}], 0.0)
        self.assertEqual([where(m) for m in box.drain()], [('a', 1.0), ('a', 2.0), 'peers'])
        self.assertEqual(len(box), 0)
        self.assertIsNone(box.next(0.0))

    def test_waited_is_the_oldest_messages_age(self):
        box = Inbox()
        self.assertEqual(box.waited(5.0), 0.0)
        box.add([msg('a', 1)], 1.0)
        box.add([msg('b', 1)], 2.0)
        self.assertEqual(box.waited(5.0), 4.0)


class Ticking:
    """A timer that advances a millisecond every time it is read: each message costs about that."""

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 0.001
        return self.t


class PumpBudgetTest(unittest.TestCase):
    def setUp(self):
        w = FakeWorld()
        for i in range(40):
            w.add(f'o{i}', f'O{i}')
        self.s, self.agent, self.w, self.clock = connected(w, [obj_msg(f'o{i}', f'O{i}') for i in range(40)])
        self.agent.take()
        self.s.timer = Ticking()
        self.s.budget = 0.004

    def test_a_burst_is_spread_over_ticks_in_order_and_every_value_arrives(self):
        for i in range(40):
            self.agent.push(obj_msg(f'o{i}', f'O{i}', xform=xf(i + 1)))
        first = self.s.pump(self.w)
        self.assertLess(first, 10, 'one tick stops once its budget is spent')
        self.assertGreater(len(self.s.inbox), 0)
        applied = [oid for kind, oid in self.w.writes if kind == 'xform']
        self.assertEqual(applied, [f'o{i}' for i in range(len(applied))], 'in the order they came')
        ticks = 1
        while len(self.s.inbox):
            self.clock.tick(0.01)
            self.s.pump(self.w)
            ticks += 1
        self.assertGreater(ticks, 4)
        self.assertEqual([self.w.objs[f'o{i}']['xform'] for i in range(40)], [xf(i + 1) for i in range(40)])
        self.assertEqual(self.agent.take(), [], 'applying later sends nothing back')

    def test_a_backlog_that_has_waited_gets_a_budget_that_grows_with_its_age(self):
        for i in range(80):
            self.agent.push(obj_msg(f'o{i % 40}', f'O{i % 40}', xform=xf(i + 1)))
        first = self.s.pump(self.w)
        self.clock.tick(3 * CATCH_UP)
        second = self.s.pump(self.w)
        self.assertGreaterEqual(second, 2 * first, 'three times the budget after waiting three CATCH_UPs')
        self.clock.tick(20 * CATCH_UP)
        self.s.pump(self.w)
        self.assertEqual(len(self.s.inbox), 0, 'a long wait is caught up in one tick')
        self.assertEqual([self.w.objs[f'o{i}']['xform'] for i in range(40)], [xf(i + 41) for i in range(40)])

    def test_one_object_moved_many_times_in_a_burst_is_written_once(self):
        for k in range(30):
            self.agent.push(obj_msg('o1', 'O1', xform=xf(k)))
        self.s.timer = lambda: 0.0
        self.s.pump(self.w)
        self.assertEqual([w for w in self.w.writes if w == ('xform', 'o1')], [('xform', 'o1')])
        self.assertEqual(self.w.objs['o1']['xform'], xf(29))

    def test_B5_holding_takes_what_waits_in_the_inbox_first_then_the_agents(self):
        for i in range(40):
            self.agent.push(obj_msg(f'o{i}', f'O{i}', xform=xf(i + 1)))
        self.s.pump(self.w)
        waiting = len(self.s.inbox)
        self.agent.push(obj_msg('o0', 'O0', xform=xf(100)))
        hold = Hold()
        self.assertEqual(hold.take(self.s), waiting + 1)
        self.assertEqual(len(self.s.inbox), 0)
        self.s.timer = lambda: 0.0
        hold.replay(self.s, self.w)
        self.assertEqual([self.w.objs[f'o{i}']['xform'] for i in range(1, 40)], [xf(i + 1) for i in range(1, 40)])
        self.assertEqual(self.w.objs['o0']['xform'], xf(100), 'the newest value last')

    def test_what_a_stopped_agent_said_is_not_applied_after_a_disconnect(self):
        for i in range(40):
            self.agent.push(obj_msg(f'o{i}', f'O{i}', xform=xf(i + 1)))
        self.s.pump(self.w)
        self.s.disconnect()
        self.assertEqual(len(self.s.inbox), 0)


if __name__ == '__main__':
    unittest.main()
