"""Applying the doc's values to Blender: a three-way merge per field.

For one field of one object there are three values: the remote one (what the
doc holds now), the base (what the doc held when we last sent or applied it,
core/shadow.py) and the local one (what Blender shows now).

- remote equals local: nothing to do, both already agree;
- the key is still in flight (core/inflight.py): put aside until a scene reply;
- base unknown (a file just loaded, a first connect): the doc wins;
- local differs from base: a local edit not sent yet. It wins and is sent now:
  the agent writes it after the remote value it already holds, so it is the
  newer write everywhere. This is how a local edit made while a remote one is
  applied is not lost ([B1]);
- remote differs from base: someone else's edit; apply it and make it the base,
  so the depsgraph update it causes is not sent back ([B1]).
"""
from __future__ import annotations

from . import capture
from . import protocol as P
from .shadow import FIELDS, UNKNOWN, Base

APPLY, SEND, ADOPT, NOTHING = 'apply', 'send', 'adopt', 'nothing'


def decide(s, key, remote, base, local, bound: int, base_local=UNKNOWN) -> str:
    """``base_local`` is what Blender showed at the base when that differs from
    the doc's value (a name Blender suffixed with .001); otherwise ``base``."""
    if s.fl.ambiguous(key, bound):
        s.fl.uncertain.add(key)
        return NOTHING
    s.fl.uncertain.discard(key)
    if local == remote:
        return ADOPT
    if base is UNKNOWN:
        return APPLY
    if local != (base if base_local is UNKNOWN else base_local):
        return SEND
    return APPLY if remote != base else NOTHING


def merge_object(s, world, r, bound: int) -> None:
    snap = world.snapshot(r.id)
    b = s.base.get(r.id)
    if snap is None:
        if s.fl.ambiguous((r.id, 'exists'), bound):
            return  # our delete is on its way; this describes the doc before it
        if b is not None:
            # Deleted here while not capturing (disconnected): the deletion wins.
            s._queue(P.delete(r.id), [(r.id, 'exists')])
            s.forget(r.id)
            return
        create_object(s, world, r)
        return
    if b is None:
        b = s.base[r.id] = Base()
        b.type = snap.type
        b.origin['exists'] = 'remote'
    _merge_fields(s, world, r, b, snap, bound)
    _merge_bones(s, world, r, b, bound)


def _merge_fields(s, world, r, b, snap, bound: int) -> None:
    now = s.clock()
    for field in FIELDS:
        remote = getattr(r, field)
        if remote is None and field != 'parent':
            continue  # the doc holds no valid value; a None parent is a root
        local = getattr(snap, field)
        if field == 'parent' and r.id in s.pending_parents and remote == s.pending_parents[r.id]:
            continue  # already waiting for that parent to be created
        base_local = b.local_name if field == 'name' else UNKNOWN
        action = decide(s, (r.id, field), remote, b.get(field), local, bound, base_local)
        if action == ADOPT:
            b.set(field, remote, b.origin.get(field, 'remote'))
        elif action == SEND:
            _send_local(s, r.id, field, local, now)
        elif action == APPLY:
            _apply(s, world, r.id, b, field, remote)


def _send_local(s, oid: str, field: str, local, now: float) -> None:
    b = s.base[oid]
    if field == 'xform':
        s.co.take((oid, 'xform'), now)
        s.send_xform(oid, local)
        return
    op = {'name': P.rename, 'parent': P.reparent, 'visible': P.visible}[field](oid, local)
    s._queue(op, [(oid, field)])
    b.set(field, local, 'local')


def _apply(s, world, oid: str, b, field: str, remote) -> None:
    if field == 'name':
        b.name = remote
        b.local_name = world.set_name(oid, remote)
        b.origin['name'] = 'remote'
    elif field == 'parent':
        if not world.set_parent(oid, remote):
            # Its parent arrives later (created in the same remote edit); until
            # then the base keeps the old parent so nothing is sent back.
            s.pending_parents[oid] = remote
            return
        s.pending_parents.pop(oid, None)
        b.set('parent', remote, 'remote')
    elif field == 'visible':
        world.set_visible(oid, remote)
        b.set('visible', remote, 'remote')
    else:
        s.co.cancel((oid, 'xform'))
        b.set('xform', world.set_xform(oid, remote), 'remote')


def _merge_bones(s, world, r, b, bound: int) -> None:
    if not r.pose and not r.full:
        return
    local = world.pose(r.id)
    if local is None:
        return
    now = s.clock()
    apply, send = {}, {}
    for name, remote in r.pose.items():
        if remote is None:
            b.bones.pop(name, None)
            continue
        if name not in local:
            continue  # a bone this armature does not have; nothing to show it on
        action = decide(s, (r.id, 'bone', name), remote, b.bones.get(name, UNKNOWN), local[name], bound)
        if action == ADOPT:
            b.bones[name] = remote
        elif action == APPLY:
            apply[name] = remote
        elif action == SEND:
            send[name] = local[name]
    if r.full:
        for name, xf in local.items():
            if name not in r.pose and not s.fl.ambiguous((r.id, 'bone', name), bound):
                send[name] = xf  # bones the doc has never seen
    if apply:
        held = s.co.pending((r.id, 'pose'))
        for name, xf in world.set_bones(r.id, apply).items():
            b.bones[name] = xf
            b.origin[('bone', name)] = 'remote'
            if held is not None:
                held.pop(name, None)
    if send:
        held = s.co.take((r.id, 'pose'), now) or {}
        held.update(send)
        s.send_bones(r.id, held)


def create_object(s, world, r) -> None:
    if not world.create(r.id, r.name or 'Object', r.type or 'EMPTY'):
        return
    snap = world.snapshot(r.id)
    b = s.base[r.id] = Base.of(snap, {}, 'remote')
    b.name = r.name or snap.name
    if r.xform is not None:
        b.xform = world.set_xform(r.id, r.xform)
    if r.visible is not None and r.visible != snap.visible:
        world.set_visible(r.id, r.visible)
        b.visible = r.visible
    if r.parent is not None:
        if world.set_parent(r.id, r.parent):
            b.parent = r.parent
        else:
            s.pending_parents[r.id] = r.parent
    if r.pose:
        for name, xf in world.set_bones(r.id, {n: x for n, x in r.pose.items() if x is not None}).items():
            b.bones[name] = xf
            b.origin[('bone', name)] = 'remote'
    for child in [c for c, p in s.pending_parents.items() if p == r.id]:
        if world.set_parent(child, r.id):
            del s.pending_parents[child]
            if child in s.base:
                s.base[child].set('parent', r.id, 'remote')


def remote_delete(s, world, oid: str) -> None:
    # Delete wins over any local edit of the object (DESIGN, "Scene model").
    if world.snapshot(oid) is not None:
        world.delete(oid)
    s.forget(oid)


def reconcile(s, world, objects, bound: int) -> None:
    """A whole scene from the doc against Blender: objects only in the doc are
    created, objects only in Blender are upserted, the rest merged field by
    field, so a value that did not change on either side is not sent."""
    ids = world.scan()
    seen = set()
    for r in objects:
        seen.add(r.id)
        merge_object(s, world, r, bound)
    for oid in ids:
        if oid in seen or s.fl.ambiguous((oid, 'exists'), bound):
            continue
        # Only live 'delete' messages delete here: a doc that lacks an object we
        # knew may be a wiped server, and resurrecting beats losing work.
        snap = world.snapshot(oid)
        if snap is not None:
            s.base.pop(oid, None)
            capture.upsert(s, world, oid, snap)
    s._commit()
