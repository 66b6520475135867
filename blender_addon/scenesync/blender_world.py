"""The session's World (core/world.py) on top of bpy: reading and writing the
synced fields of the objects of the synced scene, named by their stable id.

The session is bound to the scene it was started on ([B4]), whichever scene
the window shows later: the scene carries an id of its own (``SCENE_PROP``),
and every read, creation, visibility and scan goes to that scene.

References to Blender objects are only kept within one main-thread call
(``begin`` starts one): an undo or a deletion by an operator frees objects, and
touching a freed object from Python can crash Blender. Between calls only ids
and memory addresses (plain ints) are kept.
"""
import bpy
from mathutils import Matrix

from .core import ids as IDS
from .core.adopt import Evidence
from .core.world import Snap, World

PROP = 'scenesync_id'
SCENE_PROP = 'scenesync_scene_id'
_IDENTITY = Matrix.Identity(4)

# Object types whose data the add-on builds (content/); the rest arrive as
# empties and the panel says why (core/content_world.py UNSUPPORTED).
_DATA = {
    'MESH': lambda n: bpy.data.meshes.new(n),
    'CURVE': lambda n: bpy.data.curves.new(n, 'CURVE'),
    'ARMATURE': lambda n: bpy.data.armatures.new(n),
    'CAMERA': lambda n: bpy.data.cameras.new(n),
    'LIGHT': lambda n: bpy.data.lights.new(n, 'POINT'),
}


def read_xform(o):
    """Works for objects and pose bones alike: both hold their local transform
    in these channels (``matrix_basis`` split up)."""
    m = o.rotation_mode
    if m == 'QUATERNION':
        r = o.rotation_quaternion[:]
    elif m == 'AXIS_ANGLE':
        r = o.rotation_axis_angle[:]
    else:
        r = o.rotation_euler[:]
    return (m, o.location[:], r, o.scale[:])


def write_xform(o, x) -> None:
    mode, loc, rot, scale = x
    if o.rotation_mode != mode:
        o.rotation_mode = mode
    o.location = loc
    if mode == 'QUATERNION':
        o.rotation_quaternion = rot
    elif mode == 'AXIS_ANGLE':
        o.rotation_axis_angle = rot
    else:
        o.rotation_euler = rot
    o.scale = scale


def is_synced(o) -> bool:
    # Linked library data is read-only here: it cannot carry our id.
    return o.library is None


def evidence(o) -> Evidence:
    """What tells an object apart without its id (core/adopt.py)."""
    data, d = o.data, {}
    if data is not None:
        d['name'] = data.name
        if o.type == 'MESH':
            d['vertices'], d['faces'] = len(data.vertices), len(data.polygons)
    return Evidence(o.name, o.type, d)


class BlenderWorld(World):
    def __init__(self):
        self.known = {}        # id -> as_pointer() of the object that holds it
        self.scene_id = None   # the synced scene's SCENE_PROP; None: the window's scene
        self.scene_name = ''   # its name when bound (to tell it from a full copy)
        self.view_layer = ''   # the view layer whose visibility is synced
        self._index = None
        self._complete = False
        self._scene = None
        self._layer = None
        self._unid = {}

    def bind(self, scene) -> str:
        """Binds to ``scene`` (giving it an id when it has none); returns the id."""
        sid = getattr(scene, SCENE_PROP) or IDS.new_id()
        if getattr(scene, SCENE_PROP) != sid:
            setattr(scene, SCENE_PROP, sid)
        self.scene_id, self.scene_name = sid, scene.name
        vl = bpy.context.view_layer if bpy.context.scene == scene else None
        self.view_layer = (vl or scene.view_layers[0]).name
        self._scene, self._layer = scene, None
        return sid

    def unbind(self) -> None:
        self.scene_id, self.scene_name, self.view_layer = None, '', ''
        self._scene = self._layer = None

    def scene(self):
        """The synced scene (None when it was deleted). Resolved once per
        main-thread call: a scene held across calls may have been freed."""
        if self._scene is not None:
            return self._scene
        if self.scene_id is None:
            self._scene = bpy.context.scene
            return self._scene
        same = [sc for sc in bpy.data.scenes if getattr(sc, SCENE_PROP) == self.scene_id]
        if len(same) > 1:
            # A full copy of the scene copied its id too: the copy gets its own.
            keep = next((sc for sc in same if sc.name == self.scene_name), same[0])
            for sc in same:
                if sc != keep:
                    setattr(sc, SCENE_PROP, IDS.new_id())
            same = [keep]
        if not same:
            # An undo to before the session started takes the scene's id with it:
            # the scene of that name without an id is still the synced one.
            same = [sc for sc in bpy.data.scenes if sc.name == self.scene_name and not getattr(sc, SCENE_PROP)]
            if same:
                setattr(same[0], SCENE_PROP, self.scene_id)
        self._scene = same[0] if same else None
        if self._scene is not None:
            self.scene_name = self._scene.name
        return self._scene

    def layer(self):
        if self._layer is None:
            sc = self.scene()
            self._layer = sc.view_layers.get(self.view_layer) or sc.view_layers[0]
        return self._layer

    def contains(self, o) -> bool:
        """Whether the object is in the synced scene (objects of other scenes are not ours)."""
        sc = self.scene()
        return sc is not None and sc.objects.get(o.name) == o

    def begin(self, objs=None) -> None:
        """Starts a main-thread call, optionally with objects already at hand."""
        self._index = dict(objs) if objs else {}
        self._complete = False
        self._scene = self._layer = None
        self._unid = {}

    def forget_pointers(self) -> None:
        """After undo or a file load, addresses no longer tell objects apart."""
        self.known = {}
        self._index, self._complete, self._scene, self._layer, self._unid = {}, False, None, None, {}

    def obj(self, oid):
        o = self._index.get(oid) if self._index is not None else None
        if o is None and not self._complete:
            self._look_up_all()
            o = self._index.get(oid)
        return o

    def _look_up_all(self) -> None:
        """Indexes every object that has an id, stamping none: only ``scan`` gives
        ids, so nothing is stamped before the room's scene has arrived (joining)."""
        index = {}
        sc = self.scene()
        for o in sc.objects if sc is not None else ():
            oid = getattr(o, PROP)
            if oid and is_synced(o) and (oid not in index or self.known.get(oid) == o.as_pointer()):
                index[oid] = o
        index.update(self._index or {})
        self._index, self._complete = index, True

    def ensure_id(self, o) -> str:
        oid = getattr(o, PROP)
        if not oid:
            oid = IDS.new_id()
            setattr(o, PROP, oid)
            self.known[oid] = o.as_pointer()
        return oid

    def census(self):
        present, unid = set(), []
        self._unid = {}
        for o in self.scene().objects:
            if not is_synced(o):
                continue
            oid = getattr(o, PROP)
            if oid:
                present.add(oid)
            else:
                key = o.as_pointer()
                self._unid[key] = o
                unid.append((key, evidence(o)))
        return present, unid

    def assign(self, key, oid) -> None:
        o = self._unid.pop(key)
        setattr(o, PROP, oid)
        self.known[oid] = key
        if self._index is not None:
            self._index[oid] = o

    def xform(self, oid):
        o = self.obj(oid)
        return None if o is None else read_xform(o)

    def scan(self) -> dict:
        self._unid = {}
        objs = [o for o in self.scene().objects if is_synced(o)]
        entries = [(o.as_pointer(), getattr(o, PROP)) for o in objs]
        dup = set(IDS.duplicates([e for e in entries if e[1]], self.known))
        out, index = {}, {}
        for o, (ptr, oid) in zip(objs, entries):
            if not oid or ptr in dup:
                oid = IDS.new_id()
                setattr(o, PROP, oid)
            self.known[oid] = ptr
            index[oid] = o
            out[oid] = self._visible(o)
        self._index, self._complete = index, True
        return out

    def snapshot(self, oid):
        o = self.obj(oid)
        if o is None:
            return None
        p = o.parent
        if p is not None and o.matrix_parent_inverse != _IDENTITY:
            # The doc's xform is local to the parent; a parent inverse (set by
            # Ctrl+P) would make the same value look different elsewhere. Fold
            # it into the local transform; the object does not move.
            basis = o.matrix_parent_inverse @ o.matrix_basis
            o.matrix_parent_inverse = _IDENTITY
            o.matrix_basis = basis
        return Snap(o.name, o.type, self.ensure_id(p) if p is not None else None, self._visible(o), read_xform(o))

    def pose(self, oid):
        o = self.obj(oid)
        if o is None or o.type != 'ARMATURE' or o.pose is None:
            return None
        return {pb.name: read_xform(pb) for pb in o.pose.bones}

    def create(self, oid, name, type):
        make = _DATA.get(type)
        o = bpy.data.objects.new(name, make(name) if make else None)
        self.scene().collection.objects.link(o)
        setattr(o, PROP, oid)
        self.known[oid] = o.as_pointer()
        if self._index is not None:
            self._index[oid] = o
        return True

    def delete(self, oid):
        o = self.obj(oid)
        if o is not None:
            self._index.pop(oid, None)
            self.known.pop(oid, None)
            bpy.data.objects.remove(o, do_unlink=True)

    def set_name(self, oid, name):
        o = self.obj(oid)
        o.name = name
        return o.name

    def set_parent(self, oid, parent):
        o = self.obj(oid)
        p = None if parent is None else self.obj(parent)
        if parent is not None and p is None:
            return False
        o.parent = p
        if p is not None and o.parent != p:
            return False  # Blender refused it (a parent loop)
        o.matrix_parent_inverse = _IDENTITY
        return True

    def set_visible(self, oid, visible):
        try:
            self.obj(oid).hide_set(not visible, view_layer=self.layer())
        except RuntimeError:
            pass  # not in the view layer (an excluded collection): nothing to show or hide

    def set_xform(self, oid, x):
        o = self.obj(oid)
        write_xform(o, x)
        if o.parent is not None and o.matrix_parent_inverse != _IDENTITY:
            o.matrix_parent_inverse = _IDENTITY
        return read_xform(o)

    def set_bones(self, oid, bones):
        o = self.obj(oid)
        out = {}
        if o is None or o.pose is None:
            return out
        for name, x in bones.items():
            pb = o.pose.bones.get(name)
            if pb is not None:
                write_xform(pb, x)
                out[name] = read_xform(pb)
        return out

    def is_armature(self, oid) -> bool:
        o = self.obj(oid)
        return o is not None and o.type == 'ARMATURE'

    def names(self, ids) -> list:
        """Local names of objects, for the peers list (display only)."""
        out = []
        for oid in ids:
            o = self.obj(oid)
            if o is not None:
                out.append(o.name)
        return out


    def _visible(self, o) -> bool:
        try:
            return not o.hide_get(view_layer=self.layer())
        except RuntimeError:
            return True
