"""Undo and redo in this Blender.

Blender's undo restores a whole saved state of the file, and remote changes
applied by the timer are not undo steps of their own: undoing one's own move can
also bring back an older value of something another person changed meanwhile.
So after an undo, each field (each transform channel) that now differs from the
base is judged by who set the base: our own edit was undone (send the restored
value, as any edit), or someone else's change was rolled back with it (put it
back, do not send).

Identity survives because the id lives in the object's own data ([B2]); but an
undo step from before the session stamped its ids brings the objects back
without them. They take their ids back (core/adopt.py: the (name, type) each id
had this session) before anything is compared, so an undo never turns into a
deletion and a creation. An id someone else deleted that an undo brings back is
deleted again here, without a word to the room.
"""
from __future__ import annotations

from . import adopt, capture
from . import protocol as P
from . import xform as X
from .shadow import UNKNOWN

_PLAIN = ('name', 'parent', 'visible')


def recover_ids(s, world) -> None:
    """Objects an undo brought back without their id take it back."""
    present, unidentified = world.census()
    if not unidentified:
        return
    history = {oid: set(names) for oid, names in s.names.items()}
    for oid, b in s.base.items():
        if b.local_name is not UNKNOWN and b.type:
            history.setdefault(oid, set()).add((b.local_name, b.type))
    missing = [oid for oid in set(history) | set(s.removed) if oid not in present]
    for key, oid in adopt.match_history(unidentified, missing, history, live=set(s.base)):
        world.assign(key, oid)


def after_undo(s, world) -> None:
    if not s.capturing:
        return
    recover_ids(s, world)
    now = s.clock()
    ids = world.scan()
    for oid in [o for o in ids if s.removed.get(o) == 'remote']:
        # Someone else deleted it; the undo only rolled their deletion back here.
        world.delete(oid)
        del ids[oid]
    for oid, b in list(s.base.items()):
        if oid in ids:
            continue
        if b.origin.get('exists') == 'remote':
            _restore(s, world, oid, b)
        else:
            s._queue(P.delete(oid), [(oid, 'exists')])
            s.forget(oid, 'local')
    for oid in ids:
        b = s.base.get(oid)
        snap = world.snapshot(oid)
        if snap is None:
            continue
        if b is None:
            capture.upsert(s, world, oid, snap)
            continue
        for field in _PLAIN:
            local = getattr(snap, field)
            base = b.local_name if field == 'name' else b.get(field)
            if base is UNKNOWN or local == base:
                continue
            if b.origin.get(field) == 'remote':
                _reapply(s, world, oid, b, field)
            else:
                capture.diff_object(s, world, oid, now, xform=False)
        _xform(s, world, oid, b, snap.xform)
        _bones(s, world, oid, b)
    s._commit()


def _split(b, origin_key, base, local):
    """Channels that differ from the base: (someone else's, to put back), (ours, to send)."""
    back, send = [], []
    if base is None or base is UNKNOWN:
        return back, send
    for c in X.changed(base, local):
        (back if b.origin.get(origin_key + (c,)) == 'remote' else send).append(c)
    return back, send


def _xform(s, world, oid, b, local) -> None:
    back, send = _split(b, ('xform',), b.xform, local)
    if send:
        s.co.cancel((oid, 'xform'))
        s.send_xform(oid, local, send)
    if back:
        world.set_xform(oid, X.with_channels(local, b.xform, back))


def _reapply(s, world, oid, b, field) -> None:
    if field == 'name':
        b.local_name = world.set_name(oid, b.name)
    elif field == 'parent':
        world.set_parent(oid, b.parent)
    elif field == 'visible':
        world.set_visible(oid, b.visible)


def _bones(s, world, oid, b) -> None:
    local = world.pose(oid)
    if not local:
        return
    back, send = {}, {}
    for name, xf in local.items():
        bk, se = _split(b, ('bone', name), b.bones.get(name), xf)
        if bk:
            back[name] = X.with_channels(xf, b.bones[name], bk)
        if se:
            send[name] = se
    if back:
        world.set_bones(oid, back)
    if send:
        s.co.cancel((oid, 'pose'))
        s.send_bones(oid, {n: local[n] for n in send}, send)


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
