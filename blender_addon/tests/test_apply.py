"""Remote changes: what the session applies to Blender, and what it does not send back."""
import unittest

from fakes import FakeWorld, connected, obj_msg, xf


class ApplyTest(unittest.TestCase):
    def setUp(self):
        w = FakeWorld()
        w.add('a', 'Cube')
        w.add('arm', 'Rig', type='ARMATURE', bones={'spine': xf()})
        self.s, self.agent, self.w, self.clock = connected(
            w, [obj_msg('a', 'Cube'), obj_msg('arm', 'Rig', type='ARMATURE', pose={'spine': xf()})])
        self.agent.take()

    def remote(self, **kw):
        self.agent.push(obj_msg(**kw))
        self.s.pump(self.w)

    def test_B1_a_remote_change_applied_is_not_sent_back(self):
        self.remote(oid='a', name='Cube', xform=xf(3, mode='QUATERNION', rot=(0.5, 0.5, 0.5, 0.5)))
        self.assertEqual(self.w.objs['a']['xform'], xf(3, mode='QUATERNION', rot=(0.5, 0.5, 0.5, 0.5)))
        # The depsgraph update that the apply causes:
        self.s.local_changed(self.w, ['a'], poses=['arm'])
        self.clock.tick(1)
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [])

    def test_B1_a_remote_pose_applied_is_not_sent_back(self):
        self.remote(oid='arm', name='Rig', type='ARMATURE', pose={'spine': xf(0, 0, 2)})
        self.assertEqual(self.w.objs['arm']['bones']['spine'], xf(0, 0, 2))
        self.s.local_changed(self.w, ['arm'], poses=['arm'])
        self.assertEqual(self.agent.take(), [])

    def test_B1_a_local_edit_held_while_a_remote_one_arrives_is_not_lost(self):
        self.w.objs['a']['xform'] = xf(1)
        self.s.local_changed(self.w, ['a'])
        self.s.request_scene()  # the agent has read the first move
        self.agent.push({'type': 'scene', 'objects': [obj_msg('a', 'Cube', xform=xf(1), full=True)]})
        self.s.pump(self.w)
        self.clock.tick(0.004)
        self.w.objs['a']['xform'] = xf(2)   # held by the coalescer
        self.s.local_changed(self.w, ['a'])
        self.agent.take()
        self.remote(oid='a', name='Cube', xform=xf(9))
        self.assertEqual(self.w.objs['a']['xform'], xf(2), 'the newer local value stays')
        sent = [o for o in self.agent.take() if o['op'] == 'xform']
        self.assertEqual([o['xform']['location'][0] for o in sent], [2.0], 'and is sent at once')

    def test_B1_a_local_edit_right_after_an_apply_is_sent(self):
        self.remote(oid='a', name='Cube', xform=xf(5))
        self.w.objs['a']['xform'] = xf(6)
        self.s.local_changed(self.w, ['a'])
        self.assertEqual([o['xform']['location'][0] for o in self.agent.take()], [6.0])

    def test_remote_rename_suffixed_by_blender_is_not_renamed_back(self):
        self.w.add('b', 'Box')
        self.s.local_structure(self.w)
        self.agent.take()
        self.s.request_scene()
        self.agent.push({'type': 'scene', 'objects': [obj_msg('a', 'Cube', full=True), obj_msg('b', 'Box', full=True),
                                                      obj_msg('arm', 'Rig', type='ARMATURE', pose={'spine': xf()}, full=True)]})
        self.s.pump(self.w)
        self.remote(oid='b', name='Cube')
        self.assertEqual(self.w.objs['b']['name'], 'Cube.001')
        self.s.local_changed(self.w, ['b'])
        self.remote(oid='b', name='Cube', xform=xf(1))
        self.assertEqual(self.w.objs['b']['name'], 'Cube.001')
        self.assertEqual([o for o in self.agent.take() if o['op'] != 'scene'], [])

    def test_remote_creation_with_a_parent_created_later(self):
        self.remote(oid='child', name='Child', type='EMPTY', parent='par', full=True)
        self.assertIsNone(self.w.objs['child']['parent'])
        self.remote(oid='par', name='Par', type='EMPTY', full=True)
        self.assertEqual(self.w.objs['child']['parent'], 'par')
        self.s.local_changed(self.w, ['child', 'par'])
        self.assertEqual(self.agent.take(), [])

    def test_remote_delete_is_applied_and_not_sent_back(self):
        self.agent.push({'type': 'delete', 'id': 'a'})
        self.s.pump(self.w)
        self.assertNotIn('a', self.w.objs)
        self.s.local_structure(self.w)
        self.assertEqual(self.agent.take(), [])

    def test_remote_creation_of_a_mesh_keeps_its_type(self):
        self.remote(oid='m', name='Mesh', type='MESH', xform=xf(1, 2, 3), full=True)
        self.assertEqual(self.w.objs['m']['type'], 'MESH')
        self.assertEqual(self.w.objs['m']['xform'], xf(1, 2, 3))

    def test_malformed_remote_values_are_skipped(self):
        self.agent.push({'type': 'object', 'id': 'a', 'name': None, 'objectType': None, 'parent': None,
                         'visible': 'yes', 'xform': {'mode': 'XYZ', 'location': [1]}, 'pose': {}, 'full': False})
        self.s.pump(self.w)
        self.assertEqual(self.w.objs['a']['name'], 'Cube')
        self.assertEqual(self.agent.take(), [])


class StatusTest(unittest.TestCase):
    def test_status_peers_errors_and_agent_exit(self):
        s, agent, w, clock = connected()
        agent.push({'type': 'status', 'status': 'synced'})
        agent.push({'type': 'peers', 'peers': [{'client': 1, 'name': 'Bo', 'color': '#ff0000', 'selection': [], 'active': None}]})
        agent.push({'type': 'error', 'message': 'server closed the connection (4401): bad token'})
        s.pump(w)
        self.assertEqual((s.status, s.peers[0]['name']), ('synced', 'Bo'))
        self.assertIn('bad token', s.error)
        agent.push({'type': '_exit', 'code': 1, 'message': 'the agent exited (code 1): boom'})
        s.pump(w)
        self.assertEqual(s.status, 'error')
        self.assertIn('boom', s.error)
        self.assertFalse(s.connected)


if __name__ == '__main__':
    unittest.main()
