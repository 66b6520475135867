"""A whole scene from the doc against Blender, on connect, reconnect and file load."""
import unittest

from fakes import Clock, FakeAgent, FakeWorld, obj_msg, xf
from core import shadow
from core.session import Session

TARGET = ('ws://test', 'room')


def scene(*objs):
    return {'type': 'scene', 'objects': [dict(o, full=True) for o in objs]}


class ReconcileTest(unittest.TestCase):
    def setUp(self):
        self.clock = Clock()
        self.s = Session(clock=self.clock, log=lambda m: None)
        self.w = FakeWorld()

    def connect(self, msg, target=TARGET):
        self.agent = FakeAgent()
        self.s.connect(self.agent, target)
        self.agent.push({'type': 'status', 'status': 'synced'})
        self.agent.push(msg)
        self.s.pump(self.w)
        return [o for o in self.agent.take() if o['op'] != 'scene']

    def test_first_connect_upserts_blender_only_creates_doc_only_and_sends_no_unchanged_value(self):
        self.w.add('same', 'Same', xform=xf(1))
        self.w.add('mine', 'Mine')
        ops = self.connect(scene(obj_msg('same', 'Same', xform=xf(1)), obj_msg('theirs', 'Theirs', type='EMPTY', xform=xf(5))))
        self.assertEqual([(o['op'], o['id']) for o in ops], [('upsert', 'mine')])
        self.assertEqual(self.w.objs['theirs']['xform'], xf(5))
        self.assertEqual(self.w.objs['theirs']['type'], 'EMPTY')
        self.assertTrue(self.s.capturing)

    def test_on_first_connect_the_doc_wins_over_a_value_it_cannot_place(self):
        self.w.add('a', 'A', xform=xf(1))
        ops = self.connect(scene(obj_msg('a', 'A', xform=xf(2))))
        self.assertEqual(ops, [])
        self.assertEqual(self.w.objs['a']['xform'], xf(2))

    def test_B3_edits_made_while_disconnected_merge_on_reconnect(self):
        for oid in 'abcd':
            self.w.add(oid, oid.upper())
        self.connect(scene(*(obj_msg(oid, oid.upper()) for oid in 'abcd')))
        self.s.disconnect()
        self.w.objs['a']['xform'] = xf(1)          # ours
        self.w.objs['c']['xform'] = xf(3)          # ours and theirs: ours is the newer write
        del self.w.objs['d']                       # deleted here
        self.w.add('n', 'New')                     # created here
        ops = self.connect(scene(obj_msg('a', 'A'), obj_msg('b', 'B', xform=xf(2)), obj_msg('c', 'C', xform=xf(9)),
                                 obj_msg('d', 'D'), obj_msg('r', 'Remote', type='EMPTY')))
        got = sorted((o['op'], o['id']) for o in ops)
        self.assertEqual(got, [('delete', 'd'), ('upsert', 'n'), ('xform', 'a'), ('xform', 'c')])
        self.assertEqual(self.w.objs['b']['xform'], xf(2))
        self.assertEqual(self.w.objs['c']['xform'], xf(3))
        self.assertIn('r', self.w.objs)

    def test_connecting_to_another_room_forgets_the_base(self):
        self.w.add('a', 'A')
        self.connect(scene(obj_msg('a', 'A')))
        self.s.disconnect()
        self.w.objs['a']['xform'] = xf(1)
        ops = self.connect(scene(obj_msg('a', 'A', xform=xf(4))), target=('ws://test', 'other'))
        self.assertEqual(ops, [])
        self.assertEqual(self.w.objs['a']['xform'], xf(4))

    def test_B3_a_base_kept_in_the_file_tells_offline_edits_from_stale_values(self):
        self.w.add('edited', 'E', xform=xf(1))
        self.w.add('stale', 'S', xform=xf(0))
        saved = shadow.load_all({
            'edited': {'name': 'E', 'type': 'MESH', 'parent': None, 'visible': True, 'xform': {'mode': 'XYZ', 'location': [0, 0, 0], 'rotation': [0, 0, 0], 'scale': [1, 1, 1]}},
            'stale': {'name': 'S', 'type': 'MESH', 'parent': None, 'visible': True, 'xform': {'mode': 'XYZ', 'location': [0, 0, 0], 'rotation': [0, 0, 0], 'scale': [1, 1, 1]}},
        })
        self.s.target = TARGET
        self.s.reset_base(saved)
        ops = self.connect(scene(obj_msg('edited', 'E'), obj_msg('stale', 'S', xform=xf(7))))
        self.assertEqual([(o['op'], o['id']) for o in ops], [('xform', 'edited')])
        self.assertEqual(self.w.objs['stale']['xform'], xf(7))

    def test_an_object_missing_from_the_doc_is_upserted_not_deleted(self):
        self.w.add('a', 'A')
        self.connect(scene(obj_msg('a', 'A')))
        self.s.disconnect()
        ops = self.connect(scene())
        self.assertEqual([(o['op'], o['id']) for o in ops], [('upsert', 'a')])
        self.assertIn('a', self.w.objs)

    def test_bones_the_doc_never_saw_are_sent(self):
        self.w.add('arm', 'Rig', type='ARMATURE', bones={'a': xf(), 'b': xf(1)})
        ops = self.connect(scene(obj_msg('arm', 'Rig', type='ARMATURE', pose={'a': xf(0, 2)})))
        self.assertEqual(self.w.objs['arm']['bones']['a'], xf(0, 2))
        self.assertEqual([(o['op'], list(o['bones'])) for o in ops], [('pose', ['b'])])

    def test_shadow_dump_round_trips(self):
        self.w.add('arm', 'Rig', type='ARMATURE', bones={'a': xf(1)})
        self.connect(scene(obj_msg('arm', 'Rig', type='ARMATURE', xform=xf(3), pose={'a': xf(1)})))
        back = shadow.load_all(shadow.dump_all(self.s.base))
        self.assertEqual(back['arm'].xform, xf(3))
        self.assertEqual(back['arm'].bones, {'a': xf(1)})
        self.assertEqual(back['arm'].name, 'Rig')


if __name__ == '__main__':
    unittest.main()


class ConnectPhaseTest(unittest.TestCase):
    def setUp(self):
        self.s = Session(clock=Clock(), log=lambda m: None)
        self.w = FakeWorld()
        self.w.add('a', 'A', xform=xf(1))
        self.agent = FakeAgent()
        self.s.connect(self.agent, TARGET)

    def test_B3_nothing_is_sent_before_the_agent_has_synced_so_offline_edits_land_after_the_servers(self):
        self.agent.push({'type': 'status', 'status': 'connecting'})
        self.agent.push(scene())  # a scene from before the sync (the agent's journal)
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [])
        self.assertFalse(self.s.capturing)
        self.agent.push({'type': 'status', 'status': 'synced'})
        self.agent.push(scene())
        self.s.pump(self.w)
        self.assertEqual([o['op'] for o in self.agent.take()], ['upsert'])
        self.assertTrue(self.s.capturing)

    def test_B3_with_the_server_unreachable_the_journal_is_reconciled(self):
        self.agent.push({'type': 'status', 'status': 'offline'})
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [{'op': 'scene'}])
        self.agent.push({'type': 'status', 'status': 'connecting'})  # the agent retries meanwhile
        self.agent.push(scene(obj_msg('j', 'FromJournal', type='EMPTY')))
        self.s.pump(self.w)
        self.assertTrue(self.s.capturing)
        self.assertIn('j', self.w.objs)
        self.assertEqual([o['op'] for o in self.agent.take()], ['upsert'])

    def test_B3_an_agent_that_never_reaches_the_server_is_reconciled_from_its_journal_after_a_while(self):
        self.s.base = {'a': shadow.Base.of(self.w.snapshot('a'), {}, 'local')}  # not the first connect
        self.s.joining = False
        for _ in range(3):
            self.agent.push({'type': 'status', 'status': 'connecting'})
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [])
        self.s.clock.tick(3.5)
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [{'op': 'scene'}])
        self.agent.push(scene())
        self.s.pump(self.w)
        self.assertTrue(self.s.capturing)

    def test_a_first_connect_waits_for_the_room_itself_rather_than_an_empty_journal(self):
        # Stamping ids against nothing would make every object new, and a duplicate
        # of the room's own once the server answers (same-file joins, core/adopt.py).
        self.w.objs.clear()
        self.w.add(None, 'A', xform=xf(1))
        self.agent.push({'type': 'status', 'status': 'offline'})
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [{'op': 'scene'}])
        self.agent.push(scene())
        self.s.pump(self.w)
        self.assertFalse(self.s.capturing)
        self.agent.push({'type': 'status', 'status': 'synced'})
        self.agent.push(scene(obj_msg('r', 'A', type='MESH', xform=xf(1))))
        self.s.pump(self.w)
        self.assertTrue(self.s.capturing)
        self.assertEqual(self.agent.take(), [], 'the local A adopted the room\'s id')
        self.assertEqual(set(self.w.objs), {'r'})
