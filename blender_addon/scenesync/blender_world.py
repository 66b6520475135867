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
from .core.object_index import ObjectIndex
from .core.pose_image import PoseImage
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


class _SceneIO:
    """core/object_index.py's view of the synced scene."""

    def __init__(self, world):
        self.world = world

    def objects(self):
        sc = self.world.scene()
        return sc.objects if sc is not None else ()

    def count(self) -> int:
        sc = self.world.scene()
        return len(sc.objects) if sc is not None else 0

    @staticmethod
    def id_of(o):
        return getattr(o, PROP)

    @staticmethod
    def pointer(o) -> int:
        return o.as_pointer()

    @staticmethod
    def synced(o) -> bool:
        return is_synced(o)


# Visibility changes (H, Alt+H, the outliner's eye) reach the depsgraph handler
# only as a Scene update naming no object. The objects that likely changed are
# looked at at once; the rest in slices of this many per timer tick.
SWEEP_SLICE = 250
_MAX_CANDIDATES = 250


class BlenderWorld(World):
    def __init__(self):
        self.scene_id = None   # the synced scene's SCENE_PROP; None: the window's scene
        self.scene_name = ''   # its name when bound (to tell it from a full copy)
        self.view_layer = ''   # the view layer whose visibility is synced
        self.index = ObjectIndex(_SceneIO(self))
        self.call = 0          # counts main-thread calls (content/world.py drops its lookups per call)
        self._scene = None
        self._layer = None
        self._unid = {}
        self._made = set()     # pointers of objects created in this main-thread call, not hidden since
        self._foreign = set()  # pointers of objects seen not to be in the synced scene
        self._hidden = set()   # ids last seen hidden
        self._selected = set() # ids selected at the last structure check
        self._sweep = []       # ids whose visibility is still to be looked at
        self._poses = {}       # id -> (object pointer, token, PoseImage) the handler last compared
        self.on_link = None    # (pointer, linked?) after our own creations and deletions (content/world.py)

    def bind(self, scene) -> str:
        """Binds to ``scene`` (giving it an id when it has none); returns the id."""
        sid = getattr(scene, SCENE_PROP) or IDS.new_id()
        if getattr(scene, SCENE_PROP) != sid:
            setattr(scene, SCENE_PROP, sid)
        if sid != self.scene_id:
            self._invalidate()
        self.scene_id, self.scene_name = sid, scene.name
        vl = bpy.context.view_layer if bpy.context.scene == scene else None
        self.view_layer = (vl or scene.view_layers[0]).name
        self._scene, self._layer = scene, None
        return sid

    def unbind(self) -> None:
        self.scene_id, self.scene_name, self.view_layer = None, '', ''
        self._scene = self._layer = None
        self._invalidate()

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
        """Whether the object is in the synced scene (objects of other scenes are
        not ours). Costs a pass over the scenes' objects in C (about 1 ms at 5,000),
        so objects found not to be ours are remembered until the structure changes."""
        p = o.as_pointer()
        if p in self._foreign:
            return False
        sc = self.scene()
        if sc is None:
            return False
        sp = sc.as_pointer()
        if any(s.as_pointer() == sp for s in o.users_scene):
            return True
        self._foreign.add(p)
        return False

    def ours(self, objs) -> list:
        """Those of ``objs`` in the synced scene: one ``contains`` each for a few,
        one pass over the scene for many (a paste of 500 objects)."""
        if len(objs) <= 8:
            return [o for o in objs if self.contains(o)]
        sc = self.scene()
        live = {o.as_pointer() for o in sc.objects} if sc is not None else set()
        out = []
        for o in objs:
            p = o.as_pointer()
            if p in live:
                out.append(o)
            else:
                self._foreign.add(p)
        return out

    def begin(self) -> None:
        """Starts a main-thread call: nothing Blender handed out before is used
        again unchecked (the index checks each object once per call)."""
        self.call += 1
        self.index.begin()
        self._scene = self._layer = None
        self._unid = {}
        self._made = set()

    def forget_pointers(self) -> None:
        """After undo or a file load, addresses no longer tell objects apart and
        any object held may have been freed."""
        self._invalidate()
        self._scene, self._layer, self._unid, self._made = None, None, {}, set()

    def _invalidate(self) -> None:
        self.index.invalidate()
        self._foreign, self._hidden, self._selected, self._sweep = set(), set(), set(), []
        self._poses = {}

    @property
    def generation(self) -> int:
        return self.index.generation

    def forget_foreign(self) -> None:
        """The scene's structure changed: an object of another scene may be ours now."""
        self._foreign = set()

    def pointer(self, oid):
        """The address of the object the index holds for ``oid`` (None: none)."""
        if not self.index.valid:
            self.index.rebuild()
        return self.index.pointer(oid)

    def obj(self, oid):
        return self.index.get(oid)

    def ensure_id(self, o) -> str:
        oid = getattr(o, PROP)
        if not oid:
            oid = IDS.new_id()
            setattr(o, PROP, oid)
            self.index.put(oid, o)
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
        self.index.put(oid, o)

    def xform(self, oid):
        o = self.obj(oid)
        return None if o is None else read_xform(o)

    def _known(self) -> dict:
        return {oid: p for oid, (_o, p) in self.index.entries.items()} if self.index.valid else {}

    def scan(self) -> dict:
        """The full pass (connecting, undo): every object, ids stamped, the index
        made anew from it."""
        self._unid = {}
        all_objs = list(self.scene().objects)
        objs = [o for o in all_objs if is_synced(o)]
        entries = [(o.as_pointer(), getattr(o, PROP)) for o in objs]
        dup = set(IDS.duplicates([e for e in entries if e[1]], self._known()))
        out, index = {}, {}
        for o, (ptr, oid) in zip(objs, entries):
            if not oid or ptr in dup:
                oid = IDS.new_id()
                setattr(o, PROP, oid)
            index[oid] = (o, ptr)
            out[oid] = self._visible(o)
        self.index.replace(index, len(all_objs))
        self._foreign, self._sweep = set(), []
        self._hidden = {oid for oid, vis in out.items() if not vis}
        return out

    def add_found(self, objs, counted: bool = False) -> list:
        """Objects the depsgraph showed that the index does not hold (new ones,
        duplicates carrying a copied id ([B2]), objects linked in from another
        scene): each gets an id of its own unless the one it carries is free.
        Returns their ids. ``counted``: the index has counted them already."""
        out = []
        for o in objs:
            oid = getattr(o, PROP)
            holder = self.index.get(oid) if oid else None
            if holder is not None and holder.as_pointer() != o.as_pointer():
                oid = ''  # a copy: the object that had the id keeps it
            if not oid:
                oid = IDS.new_id()
                setattr(o, PROP, oid)
            if self.index.pointer(oid) != o.as_pointer():
                self.index.put(oid, o, new_in_scene=not counted)
            out.append(oid)
        return out

    def structure_changes(self, base):
        """After a Scene or Collection update: (ids that left the scene, id ->
        visible for objects whose visibility may have changed or that are new to
        the index). Only what may have changed is looked at; see ``sweep``."""
        self._foreign = set()
        gone, unseen = self.index.check_removed()
        new = self.add_found(unseen, counted=True) if unseen else []
        layer = self.layer()
        selected = {getattr(o, PROP) for o in layer.objects.selected} if layer is not None else set()
        selected.discard('')
        candidates = (selected | self._selected | self._hidden)
        self._selected = selected if len(selected) <= _MAX_CANDIDATES else set()
        if len(candidates) > _MAX_CANDIDATES:
            candidates = set()
        vis = {}
        for oid in candidates | set(new):
            v = self.visible(oid)
            if v is not None:
                vis[oid] = v
        for oid in gone:
            self._hidden.discard(oid)
        # Anything else (the outliner's eye, Shift+H) is found by the sweep, a
        # slice per timer tick.
        self._sweep = self.index.ids()
        return [oid for oid in gone if oid in base], vis

    def sweep(self, n: int = SWEEP_SLICE) -> dict:
        """id -> visible for the next ``n`` objects of the pending sweep."""
        part, self._sweep = self._sweep[-n:], self._sweep[:-n]
        out = {}
        for oid in part:
            v = self.visible(oid)
            if v is not None:
                out[oid] = v
        return out

    @property
    def sweeping(self) -> bool:
        return bool(self._sweep)

    def visible(self, oid):
        o = self.obj(oid)
        if o is None:
            return None
        v = self._visible(o)
        (self._hidden.discard if v else self._hidden.add)(oid)
        return v

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

    def pose(self, oid, names=None):
        o = self.obj(oid)
        if o is None or o.type != 'ARMATURE' or o.pose is None:
            return None
        bones = o.pose.bones
        if names is None:
            return {pb.name: read_xform(pb) for pb in bones}
        out = {}
        for n in names:
            pb = bones.get(n)
            if pb is not None:
                out[n] = read_xform(pb)
        return out

    def pose_if_changed(self, oid, token):
        o = self.obj(oid)
        if o is None or o.type != 'ARMATURE' or o.pose is None:
            return None
        img, ptr = PoseImage.read(o.pose.bones), o.as_pointer()
        kept = self._poses.get(oid)
        self._poses[oid] = (ptr, token, img)
        if kept is not None and kept[0] == ptr and kept[1] == token and kept[2] == img:
            return None
        return img.xforms()

    def create(self, oid, name, type):
        make = _DATA.get(type)
        o = bpy.data.objects.new(name, make(name) if make else None)
        self.scene().collection.objects.link(o)
        setattr(o, PROP, oid)
        self.index.put(oid, o, new_in_scene=True)
        self._made.add(o.as_pointer())
        if self.on_link is not None:
            self.on_link(o.as_pointer(), True)
        return True

    def delete(self, oid):
        o = self.obj(oid)
        if o is not None:
            self.index.remove(oid)
            self._hidden.discard(oid)
            if self.on_link is not None:
                self.on_link(o.as_pointer(), False)
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
            o = self.obj(oid)
            self._made.discard(o.as_pointer())
            o.hide_set(not visible, view_layer=self.layer())
            (self._hidden.discard if visible else self._hidden.add)(oid)
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
        kept = self._poses.get(oid)
        if kept is not None:
            # Our writes are seen: the echo finds Blender equal to the image unless
            # something else moved too (a bone the person posed meanwhile).
            if kept[0] != o.as_pointer() or not all(kept[2].patch(n, x) for n, x in out.items()):
                del self._poses[oid]
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
        if o.as_pointer() in self._made:
            # Just linked to the scene's own collection, so shown. Asking Blender
            # would make it index the view layer's objects again after each link:
            # a join of 5,000 objects spent a quadratic 0.2 s in hide_get.
            return True
        try:
            return not o.hide_get(view_layer=self.layer())
        except RuntimeError:
            return True
