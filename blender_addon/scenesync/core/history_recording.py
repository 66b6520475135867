"""A range of the room's history held for playback: the scene at the range's
start (``scene?at=``) and every sample inside it (the CSV export, one row per
change of an object or a pose bone), as one track per object and per bone.

``state_at(t)`` is the scene at t: each object's fields from its latest sample
at or before t ([H1]), its transform (and bones) blended towards the next
sample only for display and only across a short gap (core/history_sampler.py).
Objects created inside the range appear at their creation; deleted ones leave.
"""
from __future__ import annotations

import datetime

from . import xform as X
from .history_sampler import SMOOTH_GAP_MS, Track, as_quaternion_xform, blend, display


class PastObject:
    """An object's synced fields at a moment, as the server's scene lists it."""

    __slots__ = ('id', 'name', 'type', 'parent', 'visible', 'xform', 'pose', 'data', 'data_seq')

    def __init__(self, oid, name, type, parent, visible, xform, pose, data=None, data_seq=None):
        self.id, self.name, self.type, self.parent, self.visible = oid, name, type, parent, visible
        self.xform, self.pose, self.data, self.data_seq = xform, pose, data, data_seq

    @classmethod
    def from_json(cls, o: dict) -> 'PastObject':
        pose = {}
        for bone, bx in (o.get('pose') or {}).items():
            x = X.from_json(bx)
            if x is not None:
                pose[bone] = x
        name = o.get('name')
        data = o.get('data')
        ds = o.get('dataSeq')
        return cls(o['id'], name if isinstance(name, str) and name else None, o.get('type') or None,
                   o.get('parent') if isinstance(o.get('parent'), str) else None,
                   o.get('visible') is not False, X.from_json(o.get('xform')), pose,
                   data if isinstance(data, str) else None, ds if isinstance(ds, int) else None)

    def __repr__(self):
        return f'PastObject({self.id[:8]}, {self.name!r}, parent={self.parent}, visible={self.visible}, {self.xform})'


def scene_objects(scene: dict) -> dict:
    """id -> PastObject for a ``scene?at=`` answer (entries without an id are skipped)."""
    out = {}
    for o in scene.get('objects') or []:
        if isinstance(o, dict) and isinstance(o.get('id'), str) and o['id']:
            out[o['id']] = PastObject.from_json(o)
    return out


def parse_time(s: str) -> float:
    """An export's ISO 8601 UTC time as ms since the epoch."""
    return round(datetime.datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp() * 1000.0)


def row_xform(r: dict):
    """A sample's transform; the export gives every rotation as a quaternion."""
    try:
        loc = tuple(float(r[k]) for k in ('loc_x', 'loc_y', 'loc_z'))
        rot = tuple(float(r[k]) for k in ('rot_w', 'rot_x', 'rot_y', 'rot_z'))
        scale = tuple(float(r[k]) for k in ('scale_x', 'scale_y', 'scale_z'))
    except (KeyError, TypeError, ValueError):
        return None
    return ('QUATERNION', loc, rot, scale)


class ObjectSample:
    __slots__ = ('exists', 'name', 'type', 'parent', 'visible', 'xform')

    def __init__(self, exists, name, type, parent, visible, xform):
        self.exists, self.name, self.type, self.parent, self.visible, self.xform = exists, name, type, parent, visible, xform


class Recording:
    def __init__(self, start: dict, t0: float, t1: float):
        """``start``: id -> PastObject, the scene at ``t0``."""
        self.t0, self.t1 = float(t0), float(t1)
        self.objects = {}     # id -> Track of ObjectSample
        self.bones = {}       # id -> {bone -> Track of xform or None}
        self.types = {}
        self.samples = 0
        self.last = self.t0          # the time of the newest sample
        for oid, p in start.items():
            tr = self.objects[oid] = Track()
            tr.add(self.t0, ObjectSample(True, p.name, p.type, p.parent, p.visible, as_quaternion_xform(p.xform)))
            self.types[oid] = p.type
            if p.pose:
                bt = self.bones[oid] = {}
                for bone, bx in p.pose.items():
                    bt.setdefault(bone, Track()).add(self.t0, as_quaternion_xform(bx))

    def add_rows(self, rows) -> None:
        """CSV export rows, in the export's order (per object, then by position)."""
        parsed = []
        for r in rows:
            try:
                parsed.append((parse_time(r['time']), int(r['seq']), r))
            except (KeyError, ValueError, TypeError):
                continue  # a malformed row says nothing we could show
        parsed.sort(key=lambda p: (p[1], p[2].get('bone') or ''))
        for t, _seq, r in parsed:
            if t < self.t0:
                continue
            oid = r.get('object_id')
            if not oid:
                continue
            deleted = r.get('deleted') == 'true'
            bone = r.get('bone') or ''
            self.samples += 1
            self.last = max(self.last, t)
            if bone:
                tr = self.bones.setdefault(oid, {}).setdefault(bone, Track())
                tr.add(t, None if deleted else row_xform(r))
                continue
            prev = self.objects.get(oid)
            before = prev.values[-1] if prev is not None and len(prev) else None
            vis = r.get('visible')
            sample = ObjectSample(not deleted, r.get('object_name') or (before.name if before else None),
                                  before.type if before else self.types.get(oid),
                                  r.get('parent_id') or None, vis != 'false', row_xform(r))
            self.objects.setdefault(oid, Track()).add(t, sample)

    def ids(self):
        return self.objects.keys()

    def state_at(self, t: float, smooth: bool = True, gap: float = SMOOTH_GAP_MS) -> dict:
        """id -> PastObject for every object that exists at t."""
        out = {}
        for oid, tr in self.objects.items():
            i = tr.index(t)
            if i < 0:
                continue
            s = tr.values[i]
            if not s.exists:
                continue
            xf = s.xform
            if smooth and i + 1 < len(tr.times) and tr.times[i + 1] - tr.times[i] <= gap:
                nxt = tr.values[i + 1]
                if nxt.exists and nxt.xform is not None and xf is not None:
                    xf = blend(xf, nxt.xform, (t - tr.times[i]) / (tr.times[i + 1] - tr.times[i]))
            pose = {}
            for bone, bt in (self.bones.get(oid) or {}).items():
                v = display(bt, t, smooth, gap)
                if v is not None:
                    pose[bone] = v
            out[oid] = PastObject(oid, s.name, s.type, s.parent, s.visible, xf, pose)
        return out
