"""What the agent's doc held for each object the last time we knew: the base of
the three-way merge between Blender, the doc, and that base.

A field of an object is updated here when we send it (our value went into the
doc) or apply it (the doc's value went into Blender). Comparing Blender with the
base tells a local edit apart; comparing a remote value with it tells a remote
change apart; both at once is a conflict. This is also how a remote change
applied to Blender is not sent back ([B1]): the depsgraph update it causes shows
Blender equal to the base, so there is nothing to send.

Transforms (of objects and of pose bones) are merged per channel (location,
rotation, scale: core/xform.py): an edit of one channel sends that channel, and
a remote change of another channel is applied beside it.

``origin`` remembers, per field and per transform channel, whether the base came
from us or from someone else, so that an undo in this Blender does not revert
another person's edit.
"""
from __future__ import annotations

from . import xform as X

UNKNOWN = object()
FIELDS = ('name', 'parent', 'visible', 'xform')


class Base:
    __slots__ = ('name', 'local_name', 'type', 'parent', 'visible', 'xform', 'bones', 'origin')

    def __init__(self):
        self.name = UNKNOWN          # the doc's name
        self.local_name = UNKNOWN    # what Blender called it when applied (it may add .001)
        self.type = None
        self.parent = UNKNOWN
        self.visible = UNKNOWN
        self.xform = UNKNOWN
        self.bones = {}              # bone name -> xform; a missing bone is unknown
        # 'exists' | field | ('xform', channel) | ('bone', name, channel) -> 'local' | 'remote'
        self.origin = {}

    @classmethod
    def of(cls, snap, bones, origin: str) -> 'Base':
        b = cls()
        b.name = b.local_name = snap.name
        b.type = snap.type
        b.parent = snap.parent
        b.visible = snap.visible
        b.xform = snap.xform
        b.bones = dict(bones or {})
        for f in ('exists', 'name', 'parent', 'visible'):
            b.origin[f] = origin
        for c in X.CHANNELS:
            b.origin[('xform', c)] = origin
            for n in b.bones:
                b.origin[('bone', n, c)] = origin
        return b

    def get(self, field: str):
        return getattr(self, field)

    def set(self, field: str, value, origin: str) -> None:
        if field == 'xform':
            self.set_xform(value, X.CHANNELS, origin)
            return
        setattr(self, field, value)
        if field == 'name':
            self.local_name = value
        self.origin[field] = origin

    def set_xform(self, value, channels, origin: str) -> None:
        """The doc now holds ``channels`` of ``value`` (the rest as before)."""
        self.xform = value if self.xform is UNKNOWN else X.with_channels(self.xform, value, channels)
        for c in channels:
            self.origin[('xform', c)] = origin

    def set_bone(self, name: str, value, channels, origin: str) -> None:
        old = self.bones.get(name)
        self.bones[name] = value if old is None else X.with_channels(old, value, channels)
        for c in channels:
            self.origin[('bone', name, c)] = origin

    def dump(self) -> dict:
        """A JSON-able copy, kept in the .blend so a restarted Blender still knows
        which of its values were already synced ([B3])."""
        def v(x):
            return None if x is UNKNOWN else x
        return {
            'name': v(self.name), 'localName': v(self.local_name), 'type': self.type,
            'parent': v(self.parent), 'visible': v(self.visible),
            'xform': None if self.xform is UNKNOWN else X.to_json(self.xform),
            'bones': {n: X.to_json(x) for n, x in self.bones.items()},
        }

    @classmethod
    def load(cls, d: dict) -> 'Base':
        b = cls()
        if isinstance(d.get('name'), str):
            b.name = d['name']
            b.local_name = d['localName'] if isinstance(d.get('localName'), str) else d['name']
        b.type = d.get('type') if isinstance(d.get('type'), str) else None
        if 'parent' in d and (d['parent'] is None or isinstance(d['parent'], str)):
            b.parent = d['parent']
        if isinstance(d.get('visible'), bool):
            b.visible = d['visible']
        xf = X.from_json(d.get('xform'))
        if xf is not None:
            b.xform = xf
        for n, bx in (d.get('bones') or {}).items():
            x = X.from_json(bx)
            if x is not None:
                b.bones[n] = x
        # Restored bases count as ours: a later undo may then send, never revert.
        return b


def dump_all(bases: dict) -> dict:
    return {oid: b.dump() for oid, b in bases.items()}


def load_all(d) -> dict:
    if not isinstance(d, dict):
        return {}
    return {oid: Base.load(v) for oid, v in d.items() if isinstance(oid, str) and isinstance(v, dict)}
