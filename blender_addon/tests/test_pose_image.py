"""An armature's pose read in bulk (core/pose_image.py): equal images, nothing moved."""
import unittest

from fakes import xf
from core.pose_image import PoseImage


class Bone:
    def __init__(self, name, x):
        self.name = name
        self.rotation_mode, self.location, rot, self.scale = x
        self.rotation_quaternion, self.rotation_euler, self.rotation_axis_angle = (1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 1.0, 0.0)
        prop = {'QUATERNION': 'rotation_quaternion', 'AXIS_ANGLE': 'rotation_axis_angle'}.get(self.rotation_mode, 'rotation_euler')
        setattr(self, prop, rot)


class Bones(list):
    """A pose's bone collection as bpy shows it: keys, iteration, foreach_get."""

    def keys(self):
        return [b.name for b in self]

    def foreach_get(self, prop, out):
        flat = [v for b in self for v in getattr(b, prop)]
        assert len(flat) == len(out), prop
        out[:] = type(out)(out.typecode, flat)


def rig():
    return Bones([Bone('root', xf(1, 2, 3, mode='QUATERNION', rot=(0.5, 0.5, 0.5, 0.5))),
                  Bone('spine', xf(0, 1, 0, mode='XYZ', rot=(0.1, 0.2, 0.3))),
                  Bone('head', xf(0, 0, 2, mode='AXIS_ANGLE', rot=(0.4, 0.0, 1.0, 0.0), scale=(1, 1, 2)))])


class PoseImageTest(unittest.TestCase):
    def test_its_transforms_are_what_each_bone_holds(self):
        bones = rig()
        self.assertEqual(PoseImage.read(bones).xforms(), {
            'root': xf(1, 2, 3, mode='QUATERNION', rot=(0.5, 0.5, 0.5, 0.5)),
            'spine': xf(0, 1, 0, mode='XYZ', rot=(0.1, 0.2, 0.3)),
            'head': xf(0, 0, 2, mode='AXIS_ANGLE', rot=(0.4, 0.0, 1.0, 0.0), scale=(1, 1, 2))})

    def test_a_moved_bone_a_new_mode_or_a_renamed_bone_makes_it_unequal(self):
        before = PoseImage.read(rig())
        self.assertEqual(PoseImage.read(rig()), before)
        for change in (lambda b: setattr(b[1], 'location', xf(0, 1.5, 0)[1]),
                       lambda b: setattr(b[0], 'rotation_mode', 'XYZ'),
                       lambda b: setattr(b[2], 'name', 'skull'),
                       lambda b: setattr(b[2], 'scale', xf(scale=(1, 1, 3))[3])):
            bones = rig()
            change(bones)
            self.assertNotEqual(PoseImage.read(bones), before)

    def test_a_rotation_no_bone_uses_is_not_part_of_it(self):
        bones = rig()
        bones[1].rotation_mode = 'QUATERNION'
        before = PoseImage.read(bones)
        bones[0].rotation_euler = (1.0, 1.0, 1.0)  # no bone is in an Euler mode now
        self.assertEqual(PoseImage.read(bones), before)

    def test_patched_with_what_was_written_it_equals_a_new_read(self):
        bones = rig()
        img = PoseImage.read(bones)
        x = xf(5, 6, 7, mode='QUATERNION', rot=(0.0, 1.0, 0.0, 0.0), scale=(2, 2, 2))
        bones[0].location, bones[0].rotation_quaternion, bones[0].scale = x[1], x[2], x[3]
        self.assertTrue(img.patch('root', x))
        self.assertEqual(img, PoseImage.read(bones))
        self.assertEqual(img.xforms()['root'], x)

    def test_B1_patched_with_our_write_it_still_shows_a_bone_moved_before(self):
        bones = rig()
        img = PoseImage.read(bones)
        bones[1].location = xf(0, 9, 0)[1]       # the person posed spine, not compared yet
        x = xf(5, 6, 7, mode='QUATERNION', rot=(0.0, 1.0, 0.0, 0.0))
        bones[0].location, bones[0].rotation_quaternion = x[1], x[2]   # then a remote root was applied
        img.patch('root', x)
        self.assertNotEqual(img, PoseImage.read(bones))

    def test_it_cannot_follow_a_new_rotation_mode_or_an_unknown_bone(self):
        img = PoseImage.read(rig())
        self.assertFalse(img.patch('root', xf(mode='XYZ')))
        self.assertFalse(img.patch('tail', xf()))


if __name__ == '__main__':
    unittest.main()
