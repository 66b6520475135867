"""An armature's pose read in bulk, to tell cheaply that nothing moved.

Bone edits reach the depsgraph handler only as a geometry update of the
armature, so every pose applied from the room comes back to it as one: finding
out which of 100 bones changed meant reading each of them (about 90 µs a rig
in Python). An image is the whole pose as a few float arrays (``foreach_get``,
about 40 µs), compared in C. The world keeps the image of what the handler
last compared and patches it with what the add-on itself writes; when the next
update finds Blender equal to it, nothing else moved and nothing is compared
again. Anything the image cannot follow (a rotation mode changed, a bone
renamed) makes it unequal, which only costs the full comparison.

``bones`` is a pose's bone collection: ``keys()``, iteration (each with a
``rotation_mode``) and ``foreach_get`` (bpy's; the unit tests pass a fake).
"""
from __future__ import annotations

from array import array

# Where each rotation mode keeps its rotation, and how many floats it has.
_EULER = ('rotation_euler', 3)
_ROTATIONS = {'QUATERNION': ('rotation_quaternion', 4), 'AXIS_ANGLE': ('rotation_axis_angle', 4)}


def _rotation(mode):
    return _ROTATIONS.get(mode, _EULER)


class PoseImage:
    __slots__ = ('names', 'modes', 'arrays', '_index')

    def __init__(self, names, modes, arrays):
        self.names = names        # bone names, in the pose's order
        self.modes = modes        # rotation mode per bone
        self.arrays = arrays      # 'location' | 'scale' | the rotations in use -> array('f')
        self._index = None

    @classmethod
    def read(cls, bones) -> 'PoseImage':
        names = tuple(bones.keys())
        modes = [pb.rotation_mode for pb in bones]
        arrays = {}
        # Only the rotations some bone uses: the others are not part of its transform.
        for prop, k in [('location', 3), ('scale', 3)] + sorted({_rotation(m) for m in modes}):
            a = array('f', bytes(4 * k * len(names)))
            bones.foreach_get(prop, a)
            arrays[prop] = a
        return cls(names, modes, arrays)

    def __eq__(self, other) -> bool:
        return isinstance(other, PoseImage) and self.names == other.names and self.modes == other.modes \
            and self.arrays == other.arrays

    __hash__ = None

    def xforms(self) -> dict:
        """bone name -> (mode, location, rotation, scale), as core/xform.py holds them."""
        loc, scale = self.arrays['location'].tolist(), self.arrays['scale'].tolist()
        rots = {prop: a.tolist() for prop, a in self.arrays.items()}
        out = {}
        for i, (name, mode) in enumerate(zip(self.names, self.modes)):
            prop, k = _rotation(mode)
            out[name] = (mode, tuple(loc[3 * i:3 * i + 3]), tuple(rots[prop][k * i:k * i + k]), tuple(scale[3 * i:3 * i + 3]))
        return out

    def patch(self, name: str, xf) -> bool:
        """Writes bone ``name``'s transform as Blender now holds it (read back
        after a write). False when the image cannot follow: a new rotation mode
        (Blender converted the other rotations) or a bone it does not have."""
        if self._index is None:
            self._index = {n: i for i, n in enumerate(self.names)}
        i = self._index.get(name)
        mode, loc, rot, scale = xf
        if i is None or self.modes[i] != mode:
            return False
        prop, k = _rotation(mode)
        self.arrays['location'][3 * i:3 * i + 3] = array('f', loc)
        self.arrays['scale'][3 * i:3 * i + 3] = array('f', scale)
        self.arrays[prop][k * i:k * i + k] = array('f', rot)
        return True
