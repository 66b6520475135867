"""[H1] sampling, display blending, the bake's time mapping and its keys."""
import math
import random
import unittest

import fakes  # noqa: F401  (puts core/ on the path)
from core import history_sampler as S


def xf(x=0.0, mode='XYZ', rot=None, scale=(1.0, 1.0, 1.0)):
    rot = rot if rot is not None else ((1.0, 0.0, 0.0, 0.0) if mode in ('QUATERNION', 'AXIS_ANGLE') else (0.0, 0.0, 0.0))
    return (mode, (x, 0.0, 0.0), tuple(rot), tuple(scale))


def qrot(q, v):
    """Rotates vector v by unit quaternion q."""
    w, x, y, z = q
    p = (0.0,) + tuple(v)
    conj = (w, -x, -y, -z)
    r = S._qmul(S._qmul(q, p), conj)
    return r[1:]


def euler_matrix_apply(order, angles, v):
    """Blender's Euler: the first axis of the order is applied first."""
    def rot(axis, a, v):
        c, s = math.cos(a), math.sin(a)
        x, y, z = v
        if axis == 'X':
            return (x, c * y - s * z, s * y + c * z)
        if axis == 'Y':
            return (c * x + s * z, y, -s * x + c * z)
        return (c * x - s * y, s * x + c * y, z)
    ang = dict(zip('XYZ', angles))
    for a in order:
        v = rot(a, ang[a], v)
    return v


class TrackTest(unittest.TestCase):
    def test_H1_value_at_t_is_the_latest_sample_at_or_before_t(self):
        tr = S.Track()
        for t, v in ((100, 'a'), (200, 'b'), (300, 'c')):
            tr.add(t, v)
        self.assertIsNone(tr.at(99))
        self.assertEqual(tr.at(100), 'a')
        self.assertEqual(tr.at(199.9), 'a')
        self.assertEqual(tr.at(200), 'b')
        self.assertEqual(tr.at(10_000), 'c')

    def test_H1_entries_in_one_millisecond_keep_the_last(self):
        tr = S.Track()
        tr.add(100, 'a')
        tr.add(100, 'b')
        self.assertEqual((tr.times, tr.values), ([100], ['b']))

    def test_samples_out_of_order_are_an_error(self):
        tr = S.Track()
        tr.add(100, 'a')
        with self.assertRaises(ValueError):
            tr.add(50, 'b')


class DisplayTest(unittest.TestCase):
    def setUp(self):
        self.tr = S.Track()
        self.tr.add(0, xf(0))
        self.tr.add(16, xf(1))
        self.tr.add(10_000, xf(5))

    def test_blends_between_two_close_samples_for_display(self):
        v = S.display(self.tr, 8)
        self.assertAlmostEqual(v[1][0], 0.5)

    def test_a_long_pause_holds_still(self):
        v = S.display(self.tr, 5_000)
        self.assertEqual(v, xf(1))

    def test_without_smoothing_it_is_the_sample(self):
        self.assertEqual(S.display(self.tr, 8, smooth=False), xf(0))

    def test_blended_quaternions_stay_unit_and_take_the_short_way(self):
        a = xf(0, 'QUATERNION', (1, 0, 0, 0))
        b = xf(0, 'QUATERNION', (-math.cos(0.1), -math.sin(0.1), 0, 0))   # the same as a small turn, negated
        m = S.blend(a, b, 0.5)
        self.assertAlmostEqual(sum(c * c for c in m[2]), 1.0)
        self.assertGreater(m[2][0], 0.99)


class QuaternionTest(unittest.TestCase):
    def test_every_euler_order_turns_vectors_as_blender_does(self):
        rnd = random.Random(7)
        for order in ('XYZ', 'XZY', 'YXZ', 'YZX', 'ZXY', 'ZYX'):
            for _ in range(20):
                angles = [rnd.uniform(-3, 3) for _ in range(3)]
                v = (rnd.uniform(-1, 1), rnd.uniform(-1, 1), rnd.uniform(-1, 1))
                want = euler_matrix_apply(order, angles, v)
                got = qrot(S.quaternion(order, angles), v)
                for a, b in zip(want, got):
                    self.assertAlmostEqual(a, b, places=9, msg=order)

    def test_axis_angle(self):
        q = S.quaternion('AXIS_ANGLE', (math.pi / 2, 0, 0, 2))
        for a, b in zip(qrot(q, (1, 0, 0)), (0, 1, 0)):
            self.assertAlmostEqual(a, b)


class BakeKeysTest(unittest.TestCase):
    def setUp(self):
        self.tr = S.Track()
        for t, x in ((500, 0.0), (1_000, 1.0), (1_016, 2.0), (3_000, 3.0), (9_000, 4.0)):
            self.tr.add(t, xf(x))

    def test_H1_keys_sit_at_the_samples_times_mapped_to_frames(self):
        keys = S.bake_keys(self.tr, 1_000, 3_000, fps=24, frame_start=1)
        self.assertEqual([f for f, _ in keys], [1.0, 1 + 16 * 24 / 1000, 1 + 2_000 * 24 / 1000])
        self.assertEqual([v[1][0] for _, v in keys], [1.0, 2.0, 3.0])

    def test_H1_the_range_starts_with_the_value_held_then(self):
        keys = S.bake_keys(self.tr, 800, 1_000, fps=30, frame_start=10)
        self.assertEqual(keys[0], (10.0, xf(0.0)))
        self.assertEqual(keys[1][1], xf(1.0))

    def test_H1_resampled_keys_hold_the_latest_sample_at_or_before_each_frame(self):
        keys = S.bake_keys(self.tr, 1_000, 3_000, fps=2, frame_start=0, resample=True)
        # Frames at 1000, 1500, 2000, 2500, 3000 ms.
        self.assertEqual([(f, v[1][0]) for f, v in keys], [(0.0, 1.0), (1.0, 2.0), (2.0, 2.0), (3.0, 2.0), (4.0, 3.0)])

    def test_frames_before_an_objects_first_sample_get_no_key(self):
        keys = S.bake_keys(self.tr, 0, 1_000, fps=1, frame_start=0, resample=True)
        self.assertEqual([f for f, _ in keys], [1.0])

    def test_curves_key_a_channel_only_where_it_changed(self):
        keys = [(1.0, xf(0)), (2.0, xf(1)), (3.0, xf(1)), (4.0, xf(2, scale=(2, 2, 2)))]
        c = S.curves(keys)
        self.assertEqual(c[('location', 0)], [1.0, 0.0, 2.0, 1.0, 4.0, 2.0])
        self.assertEqual(c[('location', 1)], [1.0, 0.0])
        self.assertEqual(c[('scale', 0)], [1.0, 1.0, 4.0, 2.0])
        self.assertEqual(c[('rotation_euler', 2)], [1.0, 0.0])

    def test_curves_use_the_recorded_rotation_mode_and_bone_paths(self):
        c = S.curves([(1.0, xf(0, 'QUATERNION', (0.5, 0.5, 0.5, 0.5)))], S.bone_prefix('hand "L"'))
        self.assertIn(('pose.bones["hand \\"L\\""].rotation_quaternion', 3), c)
        self.assertNotIn(('pose.bones["hand \\"L\\""].rotation_euler', 0), c)
        c = S.curves([(1.0, xf(0, 'AXIS_ANGLE', (1, 0, 0, 1)))])
        self.assertEqual(c[('rotation_axis_angle', 0)], [1.0, 1])


if __name__ == '__main__':
    unittest.main()
