"""[B5] Previewing the past: the writes a preview makes, the way back to the
live scene, and the messages kept aside meanwhile."""
import unittest

from fakes import FakeWorld, connected, obj_msg, xf
from core.history_preview import Hold, Preview, past_meshes
from core.history_recording import PastObject


def past(oid, name, x=0.0, parent=None, visible=True, pose=None, type='MESH'):
    return PastObject(oid, name, type, parent, visible, xf(x), dict(pose or {}))


class PreviewTest(unittest.TestCase):
    def setUp(self):
        self.live = {'a': past('a', 'Cube', 1), 'b': past('b', 'Lamp', 2),
                     'r': past('r', 'Rig', 0, type='ARMATURE', pose={'spine': xf(0), 'head': xf(0)})}
        self.p = Preview(self.live)

    def test_B5_only_what_differs_from_what_is_shown_is_written(self):
        plan = self.p.step({'a': past('a', 'Cube', 5), 'b': past('b', 'Lamp', 2),
                            'r': past('r', 'Rig', 0, type='ARMATURE', pose={'spine': xf(3)})})
        self.assertEqual(plan.xforms, {'a': xf(5)})
        self.assertEqual(plan.bones, {'r': {'spine': xf(3)}})
        self.assertEqual((plan.names, plan.parents, plan.visible, plan.create, plan.remove), ({}, {}, {}, [], []))
        again = self.p.step({'a': past('a', 'Cube', 5), 'b': past('b', 'Lamp', 2),
                             'r': past('r', 'Rig', 0, type='ARMATURE', pose={'spine': xf(3)})})
        self.assertEqual(len(again), 0)

    def test_B5_objects_created_later_are_hidden_and_deleted_ones_stand_in_as_ghosts(self):
        plan = self.p.step({'a': past('a', 'Cube', 1), 'r': self.live['r'], 'gone': past('gone', 'Old', 7, parent='a')})
        self.assertEqual(plan.visible, {'b': False})
        self.assertEqual([g.id for g in plan.create], ['gone'])
        back = self.p.back()
        self.assertEqual(back.visible, {'b': True})
        self.assertEqual(back.remove, ['gone'])

    def test_B5_leaving_writes_every_live_value_back(self):
        self.p.step({'a': past('a', 'Box', 9, parent='b', visible=False), 'b': past('b', 'Lamp', 2),
                     'r': past('r', 'Rig', 0, type='ARMATURE', pose={'head': xf(4)})})
        back = self.p.back()
        self.assertEqual(back.names, {'a': 'Cube'})
        self.assertEqual(back.parents, {'a': None})
        self.assertEqual(back.visible, {'a': True})
        self.assertEqual(back.xforms, {'a': xf(1)})
        self.assertEqual(back.bones, {'r': {'head': xf(0)}})
        self.assertEqual(len(self.p.back()), 0)

    def test_B5_it_remembers_every_live_object_a_step_moved_or_reparented(self):
        # Leaving puts back what Blender derives from those writes (other rotation
        # modes, parent inverse matrices); objects no step touched stay untouched.
        self.p.step({'a': past('a', 'Cube', 3, parent='b'), 'b': past('b', 'Lamp', 2), 'gone': past('gone', 'Old', 1),
                     'r': past('r', 'Rig', 0, type='ARMATURE', pose={'spine': xf(1)})})
        self.p.step({'a': past('a', 'Cube', 1), 'b': past('b', 'Lamp', 2), 'r': self.live['r']})
        self.assertEqual(self.p.moved, {'a', 'r'})
        self.assertEqual(self.p.reparented, {'a'})

    def test_a_bone_the_past_holds_no_value_for_shows_its_live_value(self):
        self.p.step({'r': past('r', 'Rig', 0, type='ARMATURE', pose={'spine': xf(1), 'head': xf(1)}), **{k: self.live[k] for k in 'ab'}})
        plan = self.p.step({'r': past('r', 'Rig', 0, type='ARMATURE', pose={'spine': xf(2)}), **{k: self.live[k] for k in 'ab'}})
        self.assertEqual(plan.bones, {'r': {'spine': xf(2), 'head': xf(0)}})


class PastMeshesTest(unittest.TestCase):
    def test_D4_only_meshes_whose_geometry_differed_then_are_fetched(self):
        g = lambda h, pending=False: {'hash': h, 'size': 10, 'chunks': 1, 'pending': pending}  # noqa: E731
        scene = {'objects': [
            {'id': 'a', 'type': 'MESH', 'data': 'm1'},      # older geometry then
            {'id': 'b', 'type': 'MESH', 'data': 'm2'},      # the same as now
            {'id': 'c', 'type': 'MESH', 'data': 'm3'},      # showed another mesh then (m3): left as it is
            {'id': 'd', 'type': 'MESH', 'data': 'm4'},      # its bytes were not all in yet
            {'id': 'e', 'type': 'EMPTY', 'data': None},
            {'id': 'gone', 'type': 'MESH', 'data': 'm1'},   # not live
        ], 'data': [{'id': 'm1', 'seq': 7, 'geometry': g('old')}, {'id': 'm2', 'seq': 3, 'geometry': g('same')},
                    {'id': 'm3', 'seq': 2, 'geometry': g('x')}, {'id': 'm4', 'seq': 9, 'geometry': g('y', True)}]}
        live = {'a': 'm1', 'b': 'm2', 'c': 'm9', 'd': 'm4', 'e': None}
        now = {'m1': 'new', 'm2': 'same', 'm4': 'z'}
        self.assertEqual(past_meshes(scene, live, now.get), {'a': ('m1', 7, 'old')})


class HoldTest(unittest.TestCase):
    def test_B5_messages_are_kept_until_the_preview_ends_then_applied(self):
        w = FakeWorld()
        w.add('a', 'Cube', xform=xf(1))
        s, agent, w, clock = connected(w, [obj_msg('a', 'Cube', xform=xf(1))])
        agent.take()
        hold = Hold()
        # Preview shows the past in Blender...
        w.objs['a']['xform'] = xf(-5)
        agent.push(obj_msg('a', 'Cube', xform=xf(3)))
        agent.push({'type': 'peers', 'peers': [{'client': 2, 'name': 'bob', 'color': '#ff0000', 'selection': []}]})
        self.assertEqual(hold.take(s), 2)
        self.assertEqual(w.objs['a']['xform'], xf(-5), 'nothing merged into the past')
        self.assertEqual([p['name'] for p in s.peers], ['bob'], 'the people list still updates')
        # ... leaving puts the live value back, then the held change is applied, and nothing is sent.
        w.objs['a']['xform'] = xf(1)
        hold.replay(s, w)
        self.assertEqual(w.objs['a']['xform'], xf(3))
        s.local_changed(w, ['a'])
        clock.tick(1)
        s.pump(w)
        self.assertEqual(agent.take(), [])


if __name__ == '__main__':
    unittest.main()
