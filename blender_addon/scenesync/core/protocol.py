"""Encoding of the agent protocol (docs/agent-protocol.md): one JSON object per
line each way. Ops going to the agent are built here; messages coming back are
checked and normalized here, so the rest of the add-on never touches raw JSON.
"""
from __future__ import annotations

import json

from . import xform as X


def encode(op: dict) -> bytes:
    # Compact separators: at 60 sends/s per dragged object every byte is paid often.
    return (json.dumps(op, separators=(',', ':'), allow_nan=False) + '\n').encode('utf-8')


def batch(ops: list) -> dict:
    """One line for several ops: one Yjs transaction, so one log entry per flush."""
    return ops[0] if len(ops) == 1 else {'op': 'batch', 'ops': ops}


def upsert(oid: str, snap) -> dict:
    return {
        'op': 'upsert', 'id': oid, 'name': snap.name, 'type': snap.type,
        'parent': snap.parent, 'visible': snap.visible, 'xform': X.to_json(snap.xform),
    }


def xform_op(oid: str, xf, channels=None, at=None) -> dict:
    """``channels``: the ones the person changed (the agent keeps the others);
    ``at``: when, for an edit made while disconnected (ms since the epoch)."""
    op = {'op': 'xform', 'id': oid, 'xform': X.to_json(xf)}
    if channels is not None and len(channels) < len(X.CHANNELS):
        op['channels'] = list(channels)
    if at is not None:
        op['at'] = at
    return op


def pose_op(oid: str, bones: dict, channels=None, at=None) -> dict:
    """``channels``: bone name -> the channels changed of that bone (default all)."""
    op = {'op': 'pose', 'id': oid, 'bones': {b: X.to_json(x) for b, x in bones.items()}}
    if channels:
        partial = {b: list(c) for b, c in channels.items() if b in bones and len(c) < len(X.CHANNELS)}
        if partial:
            op['channels'] = partial
    if at is not None:
        op['at'] = at
    return op


def rename(oid: str, name: str) -> dict:
    return {'op': 'rename', 'id': oid, 'name': name}


def reparent(oid: str, parent) -> dict:
    return {'op': 'reparent', 'id': oid, 'parent': parent}


def visible(oid: str, value: bool) -> dict:
    return {'op': 'visible', 'id': oid, 'visible': bool(value)}


def delete(oid: str) -> dict:
    return {'op': 'delete', 'id': oid}


def selection(ids: list, active) -> dict:
    return {'op': 'selection', 'selection': list(ids), 'active': active}


def scene_request() -> dict:
    return {'op': 'scene'}


class RemoteObject:
    """An ``object`` message (or one entry of a ``scene`` message), validated.

    Fields the doc holds no valid value for are None and are left alone when
    applied; a bone mapped to None was removed by its owner."""

    __slots__ = ('id', 'name', 'type', 'parent', 'visible', 'xform', 'pose', 'full', 'evidence', 'data', 'materials', 'collections')

    def __init__(self, m: dict):
        self.id = m['id']
        name = m.get('name')
        self.name = name if isinstance(name, str) and name else None
        t = m.get('objectType')
        self.type = t if isinstance(t, str) and t else None
        p = m.get('parent')
        self.parent = p if isinstance(p, str) and p else None
        v = m.get('visible')
        self.visible = v if isinstance(v, bool) else None
        self.xform = X.from_json(m.get('xform'))
        self.full = m.get('full') is True
        # What the room knows of the object's data (core/adopt.py), from the data
        # blocks of a scene message (_note_evidence).
        self.evidence = {}
        # Links to scene content (core/content_sync.py): data id, material per slot, collections.
        d = m.get('data')
        self.data = d if isinstance(d, str) and d else None
        mats = m.get('materials')
        self.materials = tuple(x if isinstance(x, str) and x else None for x in mats) if isinstance(mats, list) else ()
        cols = m.get('collections')
        self.collections = tuple(x for x in cols if isinstance(x, str) and x) if isinstance(cols, list) else ()
        self.pose = {}
        pose = m.get('pose')
        if isinstance(pose, dict):
            for bone, bx in pose.items():
                self.pose[bone] = None if bx is None else X.from_json(bx)
            if self.full:
                self.pose = {b: x for b, x in self.pose.items() if x is not None}


def decode(line):
    """A message from the agent as a dict with a ``type``, or None for a line that
    is not one (the agent logs to stderr, but a stray print must not kill us)."""
    try:
        m = json.loads(line)
    except ValueError:
        return None
    if not isinstance(m, dict) or not isinstance(m.get('type'), str):
        return None
    t = m['type']
    if t == 'object':
        if not isinstance(m.get('id'), str) or not m['id']:
            return None
        m['object'] = RemoteObject(m)
    elif t == 'scene':
        objs = m.get('objects')
        m['objects'] = [RemoteObject(o) for o in objs if isinstance(o, dict) and isinstance(o.get('id'), str) and o['id']] \
            if isinstance(objs, list) else []
        _note_evidence(m['objects'], m.get('data'))
    elif t == 'delete':
        if not isinstance(m.get('id'), str):
            return None
    elif t == 'peers':
        m['peers'] = [p for p in m.get('peers') or [] if isinstance(p, dict)]
    elif t in ('data', 'collection', 'uncollection'):
        if not isinstance(m.get('id'), str) or not m['id']:
            return None
    return m


def _note_evidence(objects, data) -> None:
    """What the room knows of each object's data, for joining (core/adopt.py):
    the data block's name, and for a mesh its vertex and face counts, read from
    the head of the geometry file the agent handed over."""
    if not isinstance(data, list):
        return
    from .geometry import mesh_counts
    blocks = {d['id']: d for d in data if isinstance(d, dict) and isinstance(d.get('id'), str)}
    for r in objects:
        d = blocks.get(r.data) if r.data else None
        if d is None:
            continue
        if isinstance(d.get('name'), str):
            r.evidence['name'] = d['name']
        g = d.get('geometry')
        if d.get('kind') == 'MESH' and isinstance(g, dict) and isinstance(g.get('path'), str):
            counts = mesh_counts(g['path'])
            if counts is not None:
                r.evidence['vertices'], r.evidence['faces'] = counts

