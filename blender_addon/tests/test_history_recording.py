"""Playback's recording: the scene at the range's start plus its samples."""
import unittest

import fakes  # noqa: F401
from core import history_recording as H
from core.history_sampler import as_quaternion_xform


def row(t_ms, seq, oid, x, name='Cube', bone='', deleted=False, parent='', visible='true'):
    import datetime
    iso = datetime.datetime.fromtimestamp(t_ms / 1000, datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
    return {'time': iso, 'seq': str(seq), 'room': 'r', 'object_id': oid, 'object_name': name, 'bone': bone, 'user': 'ann',
            'client': '1', 'deleted': 'true' if deleted else 'false', 'parent_id': parent, 'visible': '' if bone else visible,
            'rot_mode': 'XYZ', 'loc_x': str(x), 'loc_y': '0', 'loc_z': '0', 'rot_w': '1', 'rot_x': '0', 'rot_y': '0', 'rot_z': '0',
            'scale_x': '1', 'scale_y': '1', 'scale_z': '1'}


T0 = 1_767_225_600_000


class RecordingTest(unittest.TestCase):
    def setUp(self):
        start = H.scene_objects({'objects': [
            {'id': 'a', 'name': 'Cube', 'type': 'MESH', 'parent': None, 'visible': True,
             'xform': {'mode': 'XYZ', 'location': [0, 0, 0], 'rotation': [0, 0, 0], 'scale': [1, 1, 1]}, 'pose': {}},
            {'id': 'r', 'name': 'Rig', 'type': 'ARMATURE', 'parent': None, 'visible': True,
             'xform': {'mode': 'XYZ', 'location': [0, 0, 0], 'rotation': [0, 0, 0], 'scale': [1, 1, 1]},
             'pose': {'spine': {'mode': 'QUATERNION', 'location': [0, 0, 0], 'rotation': [1, 0, 0, 0], 'scale': [1, 1, 1]}}},
        ]})
        self.rec = H.Recording(start, T0, T0 + 10_000)
        self.rec.add_rows([
            row(T0 + 100, 11, 'a', 1.0), row(T0 + 116, 12, 'a', 2.0), row(T0 + 5_000, 20, 'a', 3.0, name='Box'),
            row(T0 + 200, 13, 'n', 9.0, name='New'), row(T0 + 6_000, 21, 'n', 9.0, name='New', deleted=True),
            row(T0 + 300, 14, 'r', 0.5, name='Rig', bone='spine'),
        ])

    def test_H1_the_state_at_t_is_the_latest_sample_at_or_before_t(self):
        s = self.rec.state_at(T0 + 3_000, smooth=False)
        self.assertEqual(s['a'].xform[1][0], 2.0)
        self.assertEqual(s['a'].name, 'Cube')
        self.assertEqual(self.rec.state_at(T0 + 5_000)['a'].name, 'Box')
        self.assertEqual(s['r'].pose['spine'][1][0], 0.5)
        self.assertEqual(self.rec.samples, 6)

    def test_objects_come_and_go_with_their_creation_and_deletion(self):
        self.assertNotIn('n', self.rec.state_at(T0 + 199))
        self.assertIn('n', self.rec.state_at(T0 + 200))
        self.assertNotIn('n', self.rec.state_at(T0 + 6_000))

    def test_display_blends_only_between_close_samples(self):
        self.assertAlmostEqual(self.rec.state_at(T0 + 108)['a'].xform[1][0], 1.5, places=5)
        self.assertEqual(self.rec.state_at(T0 + 2_000)['a'].xform[1][0], 2.0)

    def test_start_values_are_shown_as_quaternions_like_the_samples(self):
        self.assertEqual(self.rec.state_at(T0)['a'].xform, as_quaternion_xform(('XYZ', (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))))

    def test_the_newest_sample_ends_a_range_left_open(self):
        # A playback up to 'now' stops at the last change it read.
        self.assertEqual(self.rec.last, T0 + 6_000)

    def test_malformed_rows_are_skipped(self):
        self.rec.add_rows([{'time': 'yesterday', 'seq': 'x'}])
        self.assertEqual(self.rec.samples, 6)


if __name__ == '__main__':
    unittest.main()
