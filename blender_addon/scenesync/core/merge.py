"""Applying the doc's values to Blender: a three-way merge per field, and per
channel for transforms (location, rotation, scale of objects and pose bones).

For one field (or channel) of one object there are three values: the remote
one (what the doc holds now), the base (what the doc held when we last sent or
applied it, core/shadow.py) and the local one (what Blender shows now).

- remote equals local: nothing to do, both already agree;
- the key is still in flight (core/inflight.py): put aside until a scene reply;
- base unknown (a file just loaded, a first connect): the doc wins;
- local differs from base: a local edit not sent yet. It is sent now: the agent
  writes it after the remote value it already holds, so it is the newer write
  everywhere. This is how a local edit made while a remote one is applied is
  not lost ([B1]). An edit made while disconnected goes with the time it was
  made, and the agent keeps a channel someone edited later ([B3]);
- remote differs from base: someone else's edit; apply it and make it the base,
  so the depsgraph update it causes is not sent back ([B1]).

Because transforms merge per channel, a remote move applied while the person's
scale is pending changes the location and leaves the scale to be sent.
"""
from __future__ import annotations

from . import adopt, capture
from . import protocol as P
from . import xform as X
from .shadow import UNKNOWN, Base

APPLY, SEND, ADOPT, NOTHING = 'apply', 'send', 'adopt', 'nothing'
OTHER_FIELDS = ('name', 'parent', 'visible')


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
            s.forget(r.id, 'local')
            return
        create_object(s, world, r)
        return
    if b is None:
        b = s.base[r.id] = Base()
        b.type = snap.type
        b.origin['exists'] = 'remote'
    s.remember(r.id, snap.name, snap.type)
    _merge_fields(s, world, r, b, snap, bound)
    _merge_xform(s, world, r, b, snap, bound)
    _merge_bones(s, world, r, b, bound)


def _merge_fields(s, world, r, b, snap, bound: int) -> None:
    for field in OTHER_FIELDS:
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
            op = {'name': P.rename, 'parent': P.reparent, 'visible': P.visible}[field](r.id, local)
            s._queue(op, [(r.id, field)])
            b.set(field, local, 'local')
        elif action == APPLY:
            _apply(s, world, r.id, b, field, remote)


def _channels(s, key, remote, base, local, bound: int):
    """Per channel: which to apply, which to send, which already agree."""
    apply, send, adopt_ = [], [], []
    for c in X.CHANNELS:
        bc = UNKNOWN if base is None or base is UNKNOWN else X.channel(base, c)
        action = decide(s, key + (c,), X.channel(remote, c), bc, X.channel(local, c), bound)
        (apply if action == APPLY else send if action == SEND else adopt_ if action == ADOPT else []).append(c)
    return apply, send, adopt_


def _sends_by_time(s, key, channels) -> dict:
    """The channels to send grouped by when they were edited (None: live, now)."""
    groups = {}
    for c in channels:
        groups.setdefault(s.edit_time(key + (c,)), []).append(c)
    return groups


def _merge_xform(s, world, r, b, snap, bound: int) -> None:
    if r.xform is None:
        return
    apply, send, agree = _channels(s, (r.id, 'xform'), r.xform, b.xform, snap.xform, bound)
    if agree:
        _adopt(b, r.xform, agree)
    if send:
        s.co.take((r.id, 'xform'), s.clock())
        for at, chans in _sends_by_time(s, (r.id, 'xform'), send).items():
            s.send_xform(r.id, snap.xform, chans, at)
    if apply:
        if not send:
            s.co.cancel((r.id, 'xform'))
        back = world.set_xform(r.id, X.with_channels(snap.xform, r.xform, apply))
        b.set_xform(back, apply, 'remote')
        for c in apply:
            s.edited.pop((r.id, 'xform', c), None)


def _adopt(b, remote, channels) -> None:
    """Both sides agree on these channels: the base follows, keeping who set it."""
    origins = {c: b.origin.get(('xform', c), 'remote') for c in channels}
    b.set_xform(remote, channels, 'remote')
    for c, o in origins.items():
        b.origin[('xform', c)] = o


def _apply(s, world, oid: str, b, field: str, remote) -> None:
    if field == 'name':
        b.name = remote
        b.local_name = world.set_name(oid, remote)
        b.origin['name'] = 'remote'
        s.remember(oid, b.local_name, b.type)
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


def _merge_bones(s, world, r, b, bound: int) -> None:
    if not r.pose and not r.full:
        return
    # A remote pose change names only the bones that changed: reading the other
    # 99 of a rig per message would be most of the cost of applying it.
    local = world.pose(r.id, None if r.full else [n for n, x in r.pose.items() if x is not None])
    if local is None:
        return
    apply, send = {}, {}
    for name, remote in r.pose.items():
        if remote is None:
            b.bones.pop(name, None)
            continue
        if name not in local:
            continue  # a bone this armature does not have; nothing to show it on
        ap, se, agree = _channels(s, (r.id, 'bone', name), remote, b.bones.get(name, UNKNOWN), local[name], bound)
        if agree:
            origins = {c: b.origin.get(('bone', name, c), 'remote') for c in agree}
            b.set_bone(name, remote, agree, 'remote')
            for c, o in origins.items():
                b.origin[('bone', name, c)] = o
        if ap:
            apply[name] = (X.with_channels(local[name], remote, ap), ap)
        if se:
            send[name] = se
    if r.full:
        for name in local:
            if name not in r.pose and not any(s.fl.ambiguous((r.id, 'bone', name, c), bound) for c in X.CHANNELS):
                send[name] = list(X.CHANNELS)  # bones the doc has never seen
    if apply:
        held = s.co.pending((r.id, 'pose'))
        for name, xf in world.set_bones(r.id, {n: v[0] for n, v in apply.items()}).items():
            b.set_bone(name, xf, apply[name][1], 'remote')
            for c in apply[name][1]:
                s.edited.pop((r.id, 'bone', name, c), None)
            if held is not None and name not in send:
                held.pop(name, None)
    if send:
        s.co.take((r.id, 'pose'), s.clock())
        groups = {}
        for name, chans in send.items():
            for c in chans:
                groups.setdefault(s.edit_time((r.id, 'bone', name, c)), {}).setdefault(name, []).append(c)
        for at, by_bone in groups.items():
            s.send_bones(r.id, {n: local[n] for n in by_bone}, by_bone, at)


def create_object(s, world, r) -> None:
    if not world.create(r.id, r.name or 'Object', r.type or 'EMPTY'):
        return
    snap = world.snapshot(r.id)
    b = s.base[r.id] = Base.of(snap, {}, 'remote')
    b.name = r.name or snap.name
    s.remember(r.id, snap.name, snap.type)
    s.removed.pop(r.id, None)
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
            b.set_bone(name, xf, X.CHANNELS, 'remote')
    for child in [c for c, p in s.pending_parents.items() if p == r.id]:
        if world.set_parent(child, r.id):
            del s.pending_parents[child]
            if child in s.base:
                s.base[child].set('parent', r.id, 'remote')
    # An undo step after it, so one Ctrl+Z does not take it away again (core/undo.py).
    s.undo_push = s.undo_push or 'scenesync: remote objects'


def remote_delete(s, world, oid: str) -> None:
    # Delete wins over any local edit of the object (DESIGN, "Scene model").
    if world.snapshot(oid) is not None:
        world.delete(oid)
    s.forget(oid, 'remote')


def adopt_room_ids(s, world, objects) -> None:
    """On the first connect of this scene to the room: objects without an id
    that are the room's own take the room's id (core/adopt.py)."""
    present, unidentified = world.census()
    if not unidentified:
        return
    room = [(r.id, adopt.Evidence(r.name, r.type, r.evidence)) for r in objects if r.id not in present and r.name and r.type]
    for key, oid in adopt.match_room(unidentified, room):
        world.assign(key, oid)


def reconcile(s, world, objects, bound: int) -> None:
    """A whole scene from the doc against Blender: objects only in the doc are
    created, objects only in Blender are upserted, the rest merged field by
    field, so a value that did not change on either side is not sent."""
    if s.joining:
        adopt_room_ids(s, world, objects)
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
