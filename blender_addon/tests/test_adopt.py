"""Objects without an id adopt the id they already have: on joining a room, and after undo."""
import unittest

from fakes import Clock, FakeAgent, FakeWorld, obj_msg, xf
from core import adopt
from core.adopt import Evidence
from core.session import Session


class MatchTest(unittest.TestCase):
    def test_same_name_type_and_data_adopts(self):
        local = [(1, Evidence('Cube', 'MESH', {'name': 'CubeMesh', 'vertices': 8, 'faces': 6}))]
        room = [('r1', Evidence('Cube', 'MESH', {'name': 'CubeMesh', 'vertices': 8})), ('r2', Evidence('Cube', 'EMPTY'))]
        self.assertEqual(adopt.match_room(local, room), [(1, 'r1')])

    def test_data_evidence_both_sides_know_must_agree(self):
        local = [(1, Evidence('Cube', 'MESH', {'vertices': 8}))]
        self.assertEqual(adopt.match_room(local, [('r', Evidence('Cube', 'MESH', {'vertices': 24}))]), [])
        self.assertEqual(adopt.match_room(local, [('r', Evidence('Cube', 'MESH'))]), [(1, 'r')], 'the room knows no data yet: name and type decide')

    def test_an_ambiguous_match_adopts_nothing(self):
        local = [(1, Evidence('Cube', 'MESH'))]
        room = [('a', Evidence('Cube', 'MESH')), ('b', Evidence('Cube', 'MESH'))]
        self.assertEqual(adopt.match_room(local, room), [])
        self.assertEqual(adopt.match_room([(1, Evidence('C', 'MESH')), (2, Evidence('C', 'MESH'))], [('a', Evidence('C', 'MESH'))]), [])


class JoinTest(unittest.TestCase):
    """The first connect of a file to a room ([B2]: no object twice)."""

    def join(self, w, *objs):
        s = Session(clock=Clock(), log=lambda m: None)
        agent = FakeAgent()
        s.connect(agent, ('ws://test', 'room'))
        agent.push({'type': 'status', 'status': 'synced'})
        agent.push({'type': 'scene', 'objects': [dict(o, full=True) for o in objs]})
        s.pump(w)
        return s, [o for o in agent.take() if o['op'] != 'scene']

    def test_B2_objects_of_the_same_never_connected_file_adopt_the_room_ids(self):
        w = FakeWorld()
        w.add(None, 'Cube', xform=xf(0, 0, 1))
        w.add(None, 'Lamp', type='EMPTY')
        w.add(None, 'Mine', type='EMPTY')
        s, ops = self.join(w, obj_msg('c', 'Cube', xform=xf(0, 0, 1)), obj_msg('l', 'Lamp', type='EMPTY'))
        self.assertEqual(len(w.objs), 3)
        self.assertIn('c', w.objs)
        self.assertIn('l', w.objs)
        self.assertEqual([(o['op'], o['name']) for o in ops], [('upsert', 'Mine')])
        self.assertEqual([c for c in w.writes if c[0] == 'create'], [], 'nothing created: the file has them')

    def test_B2_the_rooms_values_win_for_adopted_objects(self):
        w = FakeWorld()
        w.add(None, 'Cube', xform=xf(5))
        self.join(w, obj_msg('c', 'Cube', xform=xf(1)))
        self.assertEqual(w.objs['c']['xform'], xf(1))

    def test_an_object_whose_room_twin_is_already_here_gets_a_new_id(self):
        w = FakeWorld()
        w.add('c', 'Cube')
        w.add(None, 'Cube')   # a second Cube (Blender would call it Cube.001)
        s, ops = self.join(w, obj_msg('c', 'Cube'))
        self.assertEqual(len(w.objs), 2)
        self.assertEqual([o['op'] for o in ops], ['upsert'])

    def test_a_reconnect_does_not_adopt(self):
        w = FakeWorld()
        w.add('c', 'Cube')
        s, _ = self.join(w, obj_msg('c', 'Cube'))
        s.disconnect()
        w.add(None, 'Twin')
        agent = FakeAgent()
        s.connect(agent, ('ws://test', 'room'))
        self.assertFalse(s.joining)
        agent.push({'type': 'status', 'status': 'synced'})
        agent.push({'type': 'scene', 'objects': [dict(obj_msg('c', 'Cube'), full=True), dict(obj_msg('t', 'Twin'), full=True)]})
        s.pump(w)
        self.assertEqual(len(w.objs), 3, 'a new object made while disconnected is new, even with a room twin')


if __name__ == '__main__':
    unittest.main()


class RoomEvidenceTest(unittest.TestCase):
    """The room's side of the evidence comes from the data blocks in the scene message."""

    def scene_line(self, geometry_path):
        import json
        return json.dumps({'type': 'scene', 'reason': 'sync', 'objects': [
            {'id': 'c', 'name': 'Cube', 'objectType': 'MESH', 'data': 'd1', 'full': True},
            {'id': 'e', 'name': 'Empty', 'objectType': 'EMPTY', 'full': True},
        ], 'data': [{'id': 'd1', 'kind': 'MESH', 'name': 'CubeMesh', 'settings': {},
                     'geometry': {'hash': '0' * 64, 'size': 1, 'path': geometry_path}}]})

    def test_B2_a_room_mesh_is_told_apart_by_its_data_name_and_counts(self):
        import os
        import tempfile
        from array import array
        from core import geometry, protocol
        mesh = {'positions': array('f', [0.0] * 3 * 8), 'edges': array('I', [0, 1] * 12),
                'loop_vertices': array('I', range(24)), 'loop_edges': array('I', [0] * 24),
                'face_starts': array('I', range(0, 24, 4)), 'face_sizes': array('I', [4] * 6)}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'cube.sgeo')
            with open(path, 'wb') as f:
                f.write(geometry.encode_mesh(mesh))
            m = protocol.decode(self.scene_line(path))
        cube, empty = m['objects']
        self.assertEqual(cube.evidence, {'name': 'CubeMesh', 'vertices': 8, 'faces': 6})
        self.assertEqual(empty.evidence, {})
        # A local cube with another mesh (a subdivided one) is not the room's cube.
        room = [('c', Evidence('Cube', 'MESH', cube.evidence))]
        self.assertEqual(adopt.match_room([(1, Evidence('Cube', 'MESH', {'name': 'CubeMesh', 'vertices': 8, 'faces': 6}))], room), [(1, 'c')])
        self.assertEqual(adopt.match_room([(1, Evidence('Cube', 'MESH', {'name': 'CubeMesh', 'vertices': 26, 'faces': 24}))], room), [])

    def test_a_geometry_file_not_there_yet_leaves_the_data_name_alone(self):
        from core import protocol
        m = protocol.decode(self.scene_line('/nonexistent/cube.sgeo'))
        self.assertEqual(m['objects'][0].evidence, {'name': 'CubeMesh'})
