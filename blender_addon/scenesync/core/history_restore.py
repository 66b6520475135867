"""Restore: chosen objects, or the whole scene, put back as they were at a past
moment, as a new edit ([B5]: restoring writes, and writes like any edit).

Blender is set to the past values first, then everything that now differs
from what the room holds (the base, core/shadow.py) goes out in one line,
which is one Yjs transaction and one log entry by this person. An object
deleted since then comes back with its id (an ``upsert`` of that id). A whole
scene restore also removes objects created after the moment; restoring chosen
objects never deletes: an object that did not exist then is left as it is
and reported.
"""
from __future__ import annotations

from . import capture
from . import protocol as P


class RestoreResult:
    def __init__(self):
        self.changed = []      # ids whose values were sent
        self.recreated = []    # ids brought back
        self.deleted = []      # ids removed (whole-scene restore)
        self.absent = []       # chosen ids that did not exist at the moment
        self.ops = 0

    def summary(self, names) -> str:
        parts = []
        if self.changed:
            parts.append(f'{len(self.changed)} object{"s" if len(self.changed) != 1 else ""} put back')
        if self.recreated:
            parts.append(f'{len(self.recreated)} brought back ({", ".join(names(self.recreated)[:3])})')
        if self.deleted:
            parts.append(f'{len(self.deleted)} created later removed')
        if self.absent:
            parts.append(f'{len(self.absent)} did not exist then, left as they are ({", ".join(names(self.absent)[:3])})')
        return '; '.join(parts) if parts else 'nothing differed from that moment'


def restore(s, world, past: dict, ids=None) -> RestoreResult:
    """Puts ``ids`` (None: the whole scene) back to ``past`` (id -> PastObject)
    and sends the difference as one edit. The session must be capturing."""
    res = RestoreResult()
    if not s.capturing:
        raise RuntimeError('restore needs a synced session')
    whole = ids is None
    live = set(world.scan())
    targets = list(past) if whole else [i for i in ids]
    # Flush held values first: they are older than the restore and must not follow it.
    s._flush_due(s.clock(), force=True)
    made = []
    for oid in targets:
        p = past.get(oid)
        if p is None:
            if oid in live:
                res.absent.append(oid)
            continue
        if oid not in live:
            if not world.create(oid, p.name or 'Object', p.type or 'EMPTY'):
                continue
            s.removed.pop(oid, None)
            made.append(oid)
            _take_back_data(s, oid, p)
    # Fields after every creation, so a parent brought back in the same restore exists.
    for oid in targets:
        p = past.get(oid)
        if p is None or (oid not in live and oid not in made):
            continue
        if p.name is not None and (world.snapshot(oid).name != p.name):
            world.set_name(oid, p.name)
        world.set_parent(oid, p.parent)
        world.set_visible(oid, p.visible)
        if p.xform is not None:
            world.set_xform(oid, p.xform)
        if p.pose:
            world.set_bones(oid, p.pose)
    n0 = len(s._out)
    for oid in made:
        snap = world.snapshot(oid)
        s.base.pop(oid, None)
        capture.upsert(s, world, oid, snap)
        res.recreated.append(oid)
    for oid in targets:
        if oid in made or oid not in past or oid not in live:
            continue
        if _send_differences(s, world, oid):
            res.changed.append(oid)
    if whole:
        for oid in sorted(live - set(past)):
            world.delete(oid)
            s._queue(P.delete(oid), [(oid, 'exists')])
            s.forget(oid, 'local')
            res.deleted.append(oid)
    res.ops = len(s._out) - n0
    s._commit()
    return res


def _take_back_data(s, oid: str, p) -> None:
    """An object brought back shows the data block it showed then (its mesh, its
    rig), when this file still holds it: a deleted object's data stays until the
    file is saved and opened again. The link then goes out with the upsert."""
    content = getattr(s, 'content', None)
    cw = getattr(content, 'world', None)
    if p.data and cw is not None:
        cw.begin()
        cw.set_object_data(oid, p.data, drop_old=True)


def _send_differences(s, world, oid: str) -> bool:
    """Queues what Blender now holds for ``oid`` that the room does not (no coalescing:
    the restore is one edit, sent now)."""
    b = s.base.get(oid)
    snap = world.snapshot(oid)
    if snap is None:
        return False
    if b is None:
        capture.upsert(s, world, oid, snap)
        return True
    n = len(s._out)
    s.co.cancel((oid, 'xform'))
    s.co.cancel((oid, 'pose'))
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
    if capture.finite(snap.xform):
        s.send_xform(oid, snap.xform)
    bones = world.pose(oid)
    if bones:
        s.send_bones(oid, {n: x for n, x in bones.items() if capture.finite(x)})
    return len(s._out) > n
