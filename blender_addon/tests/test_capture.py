"""Local edits: what the session sends for what changed in Blender."""
import unittest

from fakes import FakeWorld, connected, obj_msg, xf
from core import xform as X


class CaptureTest(unittest.TestCase):
    def setUp(self):
        w = FakeWorld()
        w.add('a', 'Cube')
        self.s, self.agent, self.w, self.clock = connected(w, [obj_msg('a', 'Cube')])
        self.agent.take()

    def move(self, oid, x, **kw):
        self.w.objs[oid]['xform'] = xf(x, **kw)
        self.s.local_changed(self.w, [oid])

    def test_B1_a_local_move_is_sent_once(self):
        self.move('a', 1.0)
        self.assertEqual(self.agent.take(), [{'op': 'xform', 'id': 'a', 'xform': X.to_json(xf(1.0)), 'channels': ['location']}])
        self.s.local_changed(self.w, ['a'])
        self.clock.tick(1)
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [])

    def test_moves_within_16ms_are_coalesced_and_the_last_is_always_sent(self):
        self.move('a', 1.0)
        for i in range(2, 6):
            self.clock.tick(0.003)
            self.move('a', float(i))
        self.assertEqual([o['xform']['location'][0] for o in self.agent.take()], [1.0])
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [], 'held until 16 ms after the last send')
        self.clock.tick(0.016)
        self.s.pump(self.w)
        self.assertEqual([o['xform']['location'][0] for o in self.agent.take()], [5.0])

    def test_a_drag_that_ends_where_it_started_sends_nothing_more(self):
        self.move('a', 1.0)
        self.clock.tick(0.005)
        self.move('a', 2.0)
        self.clock.tick(0.005)
        self.move('a', 1.0)
        self.agent.take()
        self.clock.tick(0.1)
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [])

    def test_objects_moved_together_go_in_one_line(self):
        self.w.add('b', 'Other')
        self.s.local_structure(self.w)
        self.agent.lines = []
        self.clock.tick(1)
        self.w.objs['a']['xform'] = xf(1)
        self.w.objs['b']['xform'] = xf(2)
        self.s.local_changed(self.w, ['a', 'b'])
        self.assertEqual(len(self.agent.lines), 1)
        self.assertEqual(self.agent.lines[0]['op'], 'batch')

    def test_rename_reparent_visibility_are_sent(self):
        self.w.add('p', 'Parent', type='EMPTY')
        self.s.local_structure(self.w)
        self.assertEqual(self.agent.take()[0]['op'], 'upsert')
        o = self.w.objs['a']
        o['name'], o['parent'] = 'Box', 'p'
        self.s.local_changed(self.w, ['a'])
        self.assertEqual({op['op'] for op in self.agent.take()}, {'rename', 'reparent'})
        o['visible'] = False
        self.s.local_structure(self.w)
        self.assertEqual(self.agent.take(), [{'op': 'visible', 'id': 'a', 'visible': False}])

    def test_created_and_deleted_objects(self):
        self.w.add('n', 'New', type='ARMATURE', bones={'spine': xf(0, 1)})
        self.s.local_structure(self.w)
        ops = self.agent.take()
        self.assertEqual([o['op'] for o in ops], ['upsert', 'pose'])
        self.assertEqual(ops[0]['type'], 'ARMATURE')
        del self.w.objs['n']
        self.s.local_structure(self.w)
        self.assertEqual(self.agent.take(), [{'op': 'delete', 'id': 'n'}])

    def test_pose_sends_only_the_bones_that_changed(self):
        self.w.add('arm', 'Rig', type='ARMATURE', bones={'a': xf(), 'b': xf()})
        self.s.local_structure(self.w)
        self.agent.take()
        self.clock.tick(1)
        self.w.objs['arm']['bones']['b'] = xf(0, 0, 1, mode='QUATERNION')
        self.s.local_changed(self.w, poses=['arm'])
        ops = self.agent.take()
        self.assertEqual(len(ops), 1)
        self.assertEqual(list(ops[0]['bones']), ['b'])
        self.s.local_changed(self.w, poses=['arm'])
        self.assertEqual(self.agent.take(), [])

    def test_non_finite_transforms_are_not_sent(self):
        self.w.objs['a']['xform'] = ('XYZ', (float('nan'), 0.0, 0.0), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
        self.s.local_changed(self.w, ['a'])
        self.assertEqual(self.agent.take(), [])

    def test_selection_is_sent_only_when_it_changes(self):
        self.s.local_selection(['a'], 'a')
        self.s.local_selection(['a'], 'a')
        self.assertEqual(self.agent.take(), [{'op': 'selection', 'selection': ['a'], 'active': 'a'}])

    def test_nothing_is_captured_before_the_first_scene_reconcile(self):
        s, agent, w, clock = connected()
        s.capturing = False
        w.add('x', 'X')
        s.local_structure(w)
        s.local_changed(w, ['x'])
        self.assertEqual([o for o in agent.take() if o['op'] != 'scene'], [])

    def test_disconnect_sends_held_values_then_stops_the_agent(self):
        self.move('a', 1.0)
        self.clock.tick(0.001)
        self.move('a', 2.0)
        self.agent.take()
        self.s.disconnect()
        self.assertEqual([o['xform']['location'][0] for o in self.agent.take()], [2.0])
        self.assertTrue(self.agent.stopped)
        self.assertEqual(self.s.status, 'disconnected')


if __name__ == '__main__':
    unittest.main()
