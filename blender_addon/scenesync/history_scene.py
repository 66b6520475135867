"""Showing a past moment in Blender, and the live scene again afterwards.

The plans come from core/history_preview.py; this module reads Blender's live
state into it and writes its plans out. Objects are looked up by id in the
synced scene at the start of every main-thread call (``Index``), never kept
across calls. Objects that existed at the moment but not now are shown by
stand-ins ("ghosts"): new objects with no scenesync id, marked with
``GHOST``, so nothing ever syncs them, removed when the preview ends.

Leaving restores exactly what the preview changed: names, parents (with their
parent inverse matrices), visibility, transforms with all three rotation
representations (switching the rotation mode converts the others in
Blender), bones, and the object's data where a past geometry was shown; edits
the person made meanwhile are undone, objects they added removed and objects
they deleted brought back, since none of it was sent ([B5]).

The scene carries ``MARK`` while a preview lasts. An undo step or a file saved
meanwhile holds the past values with it; when such a state comes back (an undo
after the preview, an autosave opened later) the glue shows the room's values
again instead of taking the past ones for edits (``reset_to_base``).
"""
import bpy
from mathutils import Matrix

from .blender_world import PROP, read_xform, write_xform
from .core.history_recording import PastObject
from .core.shadow import UNKNOWN

GHOST = 'scenesync_ghost'
MARK = 'scenesync_preview'
_IDENTITY = Matrix.Identity(4)

# A ghost's data: what an object of that type can show without geometry.
_GHOST_DATA = {
    'CAMERA': lambda n: bpy.data.cameras.new(n),
    'LIGHT': lambda n: bpy.data.lights.new(n, 'POINT'),
}


class Index:
    """id -> object in the scene for one main-thread call; ghosts apart."""

    def __init__(self, scene):
        self.scene = scene
        self.objects = {}
        self.ghosts = {}
        self.unid = []
        self.dups = []
        for o in scene.objects:
            g = o.get(GHOST)
            if g:
                self.ghosts[g] = o
                continue
            oid = getattr(o, PROP)
            if not oid:
                if o.library is None:
                    self.unid.append(o)
                continue
            if oid in self.objects:
                self.dups.append(o)
            else:
                self.objects[oid] = o

    def get(self, oid):
        return self.objects.get(oid) or self.ghosts.get(oid)


def _visible(o, layer) -> bool:
    try:
        return not o.hide_get(view_layer=layer)
    except RuntimeError:
        return True


def _set_visible(o, visible, layer) -> None:
    try:
        o.hide_set(not visible, view_layer=layer)
    except RuntimeError:
        pass  # not in the view layer (an excluded collection): nothing to show or hide


def read_live(scene, layer):
    """The live scene as the preview starts: id -> PastObject, and what else
    leaving must put back exactly (per id), the names of objects without an id,
    and the address of each object holding an id."""
    live, extra, pointers = {}, {}, {}
    idx = Index(scene)
    for oid, o in idx.objects.items():
        p = o.parent
        pose = {pb.name: read_xform(pb) for pb in o.pose.bones} if o.type == 'ARMATURE' and o.pose else {}
        live[oid] = PastObject(oid, o.name, o.type, getattr(p, PROP) or None if p is not None else None,
                               _visible(o, layer), read_xform(o), pose)
        extra[oid] = {
            'pinv': o.matrix_parent_inverse.copy(),
            'rot': (tuple(o.rotation_quaternion), tuple(o.rotation_euler), o.rotation_mode, tuple(o.rotation_axis_angle)),
            'data': (o.data.name, type(o.data).__name__) if o.data is not None else None,
            'data_id': (getattr(o.data, PROP, '') or None) if o.data is not None else None,
            'bone_rot': {pb.name: (tuple(pb.rotation_quaternion), tuple(pb.rotation_euler), tuple(pb.rotation_axis_angle))
                         for pb in o.pose.bones} if pose else {},
        }
        pointers[oid] = o.as_pointer()
    return live, extra, {o.name for o in idx.unid}, pointers


def _past_block(p: PastObject):
    """The data block the object showed then, when this file still holds it
    (a deleted object's mesh stays until the file is saved and opened again)."""
    from . import runtime
    cw = getattr(runtime.session.content, 'world', None)
    if not p.data or cw is None:
        return None
    db = cw.block(p.data)
    return db if db is not None and not isinstance(db, (bpy.types.Material, bpy.types.Collection)) else None


def _make_ghost(scene, p: PastObject, layer):
    maker = _GHOST_DATA.get(p.type)
    name = p.name or 'Object'
    data = _past_block(p)
    o = bpy.data.objects.new(name, data if data is not None else maker(name) if maker else None)
    if o.data is None:
        # No data to show: a box at its place, so people see where it was.
        o.empty_display_type = 'CUBE'
        o.empty_display_size = 0.5
    o[GHOST] = p.id
    scene.collection.objects.link(o)
    if p.xform is not None:
        write_xform(o, p.xform)
    _set_visible(o, p.visible, layer)
    return o


def remove_ghost(o) -> None:
    data = o.data
    bpy.data.objects.remove(o, do_unlink=True)
    # Only what was made for the ghost: a synced data block (it has an id) stays,
    # a restore may bring its object back.
    if data is not None and data.users == 0 and not getattr(data, PROP, ''):
        bpy.data.batch_remove([data])


def apply(plan, idx: Index, layer, preview=None) -> int:
    """Writes one plan (core/history_preview.Plan); returns how many objects it touched."""
    for oid in plan.remove:
        g = idx.ghosts.pop(oid, None)
        if g is not None:
            remove_ghost(g)
    for p in plan.create:
        idx.ghosts[p.id] = _make_ghost(idx.scene, p, layer)
        if p.parent:
            plan.parents.setdefault(p.id, p.parent)
    if plan.names:
        # Two passes: swapping two names would otherwise give one a .001 suffix.
        objs = [(oid, idx.get(oid), name) for oid, name in plan.names.items()]
        for i, (oid, o, _name) in enumerate(objs):
            if o is not None:
                o.name = f'~scenesync~{i}'
        for oid, o, name in objs:
            if o is not None:
                o.name = name
                if preview is not None and o.name != name:
                    preview.renamed(oid, o.name)
    for oid, pid in plan.parents.items():
        o = idx.get(oid)
        if o is None:
            continue
        par = idx.get(pid) if pid else None
        if o.parent != par:
            try:
                o.parent = par
            except (RuntimeError, TypeError):
                continue  # a loop Blender refuses: the object stays where it is
        o.matrix_parent_inverse = _IDENTITY
    for oid, v in plan.visible.items():
        o = idx.get(oid)
        if o is not None:
            _set_visible(o, v, layer)
    for oid, xf in plan.xforms.items():
        o = idx.get(oid)
        if o is not None:
            write_xform(o, xf)
    for oid, bones in plan.bones.items():
        o = idx.get(oid)
        if o is None or o.pose is None:
            continue
        for name, xf in bones.items():
            pb = o.pose.bones.get(name)
            if pb is not None:
                write_xform(pb, xf)
    return len(plan.touched() | {p.id for p in plan.create} | set(plan.remove))


def put_back(preview, idx: Index, extra: dict) -> None:
    """After the plan that brings the live values back: what that plan does not
    carry. Parent inverse matrices; and the rotations no mode shows, which
    Blender converted when a past value switched the rotation mode (raw writes
    leave the mode and the shown rotation as they are)."""
    for oid in preview.reparented:
        o, e = idx.objects.get(oid), extra.get(oid)
        if o is not None and e is not None:
            o.matrix_parent_inverse = e['pinv']
    for oid in preview.moved:
        o, e = idx.objects.get(oid), extra.get(oid)
        if o is None or e is None:
            continue
        q, eul, _order, aa = e['rot']
        o.rotation_quaternion, o.rotation_euler, o.rotation_axis_angle = q, eul, aa
        for name, (bq, be, ba) in e['bone_rot'].items():
            pb = o.pose.bones.get(name) if o.pose else None
            if pb is not None:
                pb.rotation_quaternion, pb.rotation_euler, pb.rotation_axis_angle = bq, be, ba


def tidy(idx: Index, live: dict, extra: dict, unid_names: set, pointers: dict, layer) -> list:
    """What the person did to the scene during the preview, undone: objects
    added removed, objects deleted brought back. Returns the ids brought back."""
    for g in list(idx.ghosts.values()):
        remove_ghost(g)
    idx.ghosts.clear()
    for o in list(idx.dups):
        bpy.data.objects.remove(o, do_unlink=True)
    for oid, o in list(idx.objects.items()):
        if oid not in live:
            del idx.objects[oid]
            bpy.data.objects.remove(o, do_unlink=True)
    for o in list(idx.unid):
        if o.name not in unid_names:
            bpy.data.objects.remove(o, do_unlink=True)
    back = []
    for oid, p in live.items():
        if oid in idx.objects:
            continue
        e = extra.get(oid) or {}
        data = None
        if e.get('data'):
            name, kind = e['data']
            for coll in (bpy.data.meshes, bpy.data.armatures, bpy.data.curves, bpy.data.cameras, bpy.data.lights, bpy.data.lattices):
                d = coll.get(name)
                if d is not None and type(d).__name__ == kind:
                    data = d
                    break
        o = bpy.data.objects.new(p.name, data)
        setattr(o, PROP, oid)
        idx.scene.collection.objects.link(o)
        idx.objects[oid] = o
        back.append(oid)
    for oid in back:
        p, o = live[oid], idx.objects[oid]
        if p.parent and idx.objects.get(p.parent) is not None:
            o.parent = idx.objects[p.parent]
        o.matrix_parent_inverse = (extra.get(oid) or {}).get('pinv', _IDENTITY)
        write_xform(o, p.xform)
        _set_visible(o, p.visible, layer)
        if p.pose and o.pose is not None:
            for name, xf in p.pose.items():
                pb = o.pose.bones.get(name)
                if pb is not None:
                    write_xform(pb, xf)
    return back


def reset_to_base(session, world) -> int:
    """A state with past values came back (an undo after a preview, a file saved
    during one): show the room's values (the session's base) again, remove the
    ghosts, and unmark the scene. Returns how many objects were written."""
    sc = world.scene()
    if sc is None:
        return 0
    idx = Index(sc)
    for g in list(idx.ghosts.values()):
        remove_ghost(g)
    n = 0
    layer = world.layer()
    for oid, b in session.base.items():
        o = idx.objects.get(oid)
        if o is None:
            continue
        n += 1
        if b.local_name is not UNKNOWN and o.name != b.local_name:
            o.name = b.local_name
        if b.parent is not UNKNOWN:
            par = idx.objects.get(b.parent) if b.parent else None
            if o.parent != par:
                o.parent = par
                o.matrix_parent_inverse = _IDENTITY
        if b.visible is not UNKNOWN:
            _set_visible(o, b.visible, layer)
        if b.xform is not UNKNOWN:
            write_xform(o, b.xform)
        if b.bones and o.pose is not None:
            for name, xf in b.bones.items():
                pb = o.pose.bones.get(name)
                if pb is not None:
                    write_xform(pb, xf)
    if MARK in sc:
        del sc[MARK]
    return n


def marked(scene) -> bool:
    return scene is not None and MARK in scene


def mark(scene, on: bool) -> None:
    if on:
        scene[MARK] = 1
    elif MARK in scene:
        del scene[MARK]
