"""Undo and redo in this Blender.

Blender's undo restores a whole saved state of the file, and remote changes
applied by the timer are not undo steps of their own: undoing one's own move can
also bring back an older value of something another person changed meanwhile.
So after an undo, each field that now differs from the base is judged by who
set the base: our own edit was undone (send the restored value, as any edit),
or someone else's change was rolled back with it (put it back, do not send).
Identity survives because the id lives in the object's own data ([B2]).
"""
from __future__ import annotations

from . import capture
from . import protocol as P
from .shadow import FIELDS, UNKNOWN


def after_undo(s, world) -> None:
    if not s.capturing:
        return
    now = s.clock()
    ids = world.scan()
    for oid, b in list(s.base.items()):
        if oid in ids:
            continue
        if b.origin.get('exists') == 'remote':
            _restore(s, world, oid, b)
        else:
            s._queue(P.delete(oid), [(oid, 'exists')])
            s.forget(oid)
    for oid in ids:
        b = s.base.get(oid)
        snap = world.snapshot(oid)
        if snap is None:
            continue
        if b is None:
            capture.upsert(s, world, oid, snap)
            continue
        for field in FIELDS:
            local = getattr(snap, field)
            base = b.local_name if field == 'name' else b.get(field)
            if base is UNKNOWN or local == base:
                continue
            if b.origin.get(field) == 'remote':
                _reapply(s, world, oid, b, field)
            elif field == 'xform':
                s.co.cancel((oid, 'xform'))
                s.send_xform(oid, local)
            else:
                capture.diff_object(s, world, oid, now)
        _bones(s, world, oid, b)
    s._commit()


def _reapply(s, world, oid, b, field) -> None:
    if field == 'name':
        b.local_name = world.set_name(oid, b.name)
    elif field == 'parent':
        world.set_parent(oid, b.parent)
    elif field == 'visible':
        world.set_visible(oid, b.visible)
    else:
        b.xform = world.set_xform(oid, b.xform)


def _bones(s, world, oid, b) -> None:
    local = world.pose(oid)
    if not local:
        return
    back, send = {}, {}
    for name, xf in local.items():
        base = b.bones.get(name)
        if base is None or xf == base:
            continue
        if b.origin.get(('bone', name)) == 'remote':
            back[name] = base
        else:
            send[name] = xf
    if back:
        for name, xf in world.set_bones(oid, back).items():
            b.bones[name] = xf
    if send:
        s.co.cancel((oid, 'pose'))
        s.send_bones(oid, send)


def _restore(s, world, oid, b) -> None:
    if not world.create(oid, b.name if b.name is not UNKNOWN else 'Object', b.type or 'EMPTY'):
        s.forget(oid)
        return
    b.local_name = world.snapshot(oid).name
    if b.xform is not UNKNOWN:
        b.xform = world.set_xform(oid, b.xform)
    if b.visible is not UNKNOWN:
        world.set_visible(oid, b.visible)
    if b.parent not in (UNKNOWN, None):
        world.set_parent(oid, b.parent)
    if b.bones:
        world.set_bones(oid, dict(b.bones))
