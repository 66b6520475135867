"""Local edits: what changed in Blender since we last sent or applied it.

Each changed object is compared field by field with its base (what the doc held
when we last knew, core/shadow.py). Names, parents and visibility go out at
once; transforms and bones go through the coalescer, so a drag sends at most one
value per object per interval, and always its last one. A transform goes out
with only the channels that differ from the base (Session.send_xform).
"""
from __future__ import annotations

import math

from . import protocol as P
from . import xform as X
from .shadow import Base


def finite(xf) -> bool:
    # NaN or infinity would not survive JSON, and the agent would refuse the batch.
    return all(math.isfinite(v) for v in xf[1] + xf[2] + xf[3])


def structure(s, world, now: float) -> None:
    gone, ids = world.structure_changes(s.base)
    for oid in gone:
        s._queue(P.delete(oid), [(oid, 'exists')])
        s.forget(oid, 'local')
    visibility(s, world, ids, now)


def visibility(s, world, ids: dict, now: float) -> None:
    """``ids``: id -> visible as Blender shows it; new ids are sent whole."""
    for oid, vis in ids.items():
        b = s.base.get(oid)
        if b is None:
            diff_object(s, world, oid, now)
        elif vis != b.visible:
            s._queue(P.visible(oid, vis), [(oid, 'visible')])
            b.set('visible', vis, 'local')


def diff_object(s, world, oid: str, now: float, xform: bool = True) -> None:
    snap = world.snapshot(oid)
    if snap is None or not finite(snap.xform):
        return
    b = s.base.get(oid)
    if b is None:
        upsert(s, world, oid, snap)
        return
    if snap.name != b.local_name:
        s._queue(P.rename(oid, snap.name), [(oid, 'name')])
        b.set('name', snap.name, 'local')
        s.remember(oid, snap.name, snap.type)
    if snap.parent != b.parent:
        s._queue(P.reparent(oid, snap.parent), [(oid, 'parent')])
        b.set('parent', snap.parent, 'local')
        s.pending_parents.pop(oid, None)
    if snap.visible != b.visible:
        s._queue(P.visible(oid, snap.visible), [(oid, 'visible')])
        b.set('visible', snap.visible, 'local')
    if not xform:
        return
    key = (oid, 'xform')
    if snap.xform == b.xform:
        s.co.cancel(key)     # a drag that came back where it started
    elif s.co.offer(key, snap.xform, now):
        s.send_xform(oid, snap.xform)


def diff_pose(s, world, oid: str, now: float) -> None:
    b = s.base.get(oid)
    if b is None:
        return
    # None: nothing moved since the last comparison but what was applied (the
    # echo of a remote pose), and the base is the same dict with as many bones.
    bones = world.pose_if_changed(oid, (id(b.bones), len(b.bones)))
    if not bones:
        return
    key = (oid, 'pose')
    held = s.co.pending(key)
    changed = {}
    for name, xf in bones.items():
        if xf == b.bones.get(name):
            if held is not None:
                held.pop(name, None)
        elif finite(xf):
            changed[name] = xf
    if held is not None:
        held.update(changed)
        if not held:
            s.co.cancel(key)
    elif changed and s.co.offer(key, changed, now):
        s.send_bones(oid, changed)


def upsert(s, world, oid: str, snap) -> None:
    bones = world.pose(oid) or {}
    bones = {n: x for n, x in bones.items() if finite(x)}
    s._queue(P.upsert(oid, snap), [(oid, f) for f in ('exists', 'name', 'parent', 'visible')] + [(oid, 'xform', c) for c in X.CHANNELS])
    if bones:
        s._queue(P.pose_op(oid, bones), [(oid, 'bone', n, c) for n in bones for c in X.CHANNELS])
    s.base[oid] = Base.of(snap, bones, 'local')
    s.remember(oid, snap.name, snap.type)
    s.removed.pop(oid, None)
