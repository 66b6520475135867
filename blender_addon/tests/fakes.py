"""Test doubles for core/: a scene held in dicts (World) and an agent that
records what it is sent and hands back scripted messages."""
import json
import os
import sys

# core/ is imported as a top-level package: the add-on's __init__ needs bpy, core must not.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'scenesync'))

from core import adopt  # noqa: E402
from core import ids as IDS  # noqa: E402
from core import protocol as P  # noqa: E402
from core import xform as X  # noqa: E402
from core.session import Session  # noqa: E402
from core.world import Snap, World  # noqa: E402


def xf(x=0.0, y=0.0, z=0.0, mode='XYZ', rot=None, scale=(1.0, 1.0, 1.0)):
    rot = rot if rot is not None else ((1.0, 0.0, 0.0, 0.0) if mode == 'QUATERNION' else (0.0, 0.0, 0.0))
    return (mode, tuple(X.f32(v) for v in (x, y, z)), tuple(X.f32(v) for v in rot), tuple(X.f32(v) for v in scale))


class FakeWorld(World):
    """A scene in dicts. ``unid`` holds objects that have no id yet (as after an
    undo to before the connect, or in a never-connected file)."""

    def __init__(self):
        self.objs = {}
        self.unid = []
        self.writes = []

    def add(self, oid, name, type='MESH', parent=None, visible=True, xform=None, bones=None, data=None):
        o = {'name': name, 'type': type, 'parent': parent, 'visible': visible,
             'xform': xform or X.IDENTITY, 'bones': dict(bones) if bones is not None else None, 'data': dict(data or {})}
        if oid is None:
            self.unid.append(o)
        else:
            self.objs[oid] = o
        return oid

    def strip_ids(self):
        """What an undo to before the ids were stamped does."""
        self.unid.extend(self.objs.values())
        self.objs = {}

    def scan(self):
        for o in self.unid:
            if o is not None:
                self.objs[IDS.new_id()] = o
        self.unid = []
        return {oid: o['visible'] for oid, o in self.objs.items()}

    def census(self):
        return set(self.objs), [(i, adopt.Evidence(o['name'], o['type'], o['data'])) for i, o in enumerate(self.unid) if o is not None]

    def assign(self, key, oid):
        # Keys stay valid for the rest of the pass: the slot is emptied, not removed.
        self.objs[oid], self.unid[key] = self.unid[key], None

    def xform(self, oid):
        o = self.objs.get(oid)
        return None if o is None else o['xform']

    def snapshot(self, oid):
        o = self.objs.get(oid)
        return None if o is None else Snap(o['name'], o['type'], o['parent'], o['visible'], o['xform'])

    def pose(self, oid, names=None):
        o = self.objs.get(oid)
        if o is None or o['bones'] is None:
            return None
        return dict(o['bones']) if names is None else {n: o['bones'][n] for n in names if n in o['bones']}

    def _free_name(self, name, oid):
        taken = {o['name'] for k, o in self.objs.items() if k != oid}
        if name not in taken:
            return name
        i = 1
        while f'{name}.{i:03d}' in taken:
            i += 1
        return f'{name}.{i:03d}'

    def create(self, oid, name, type):
        self.writes.append(('create', oid))
        self.add(oid, self._free_name(name, oid), type, bones={} if type == 'ARMATURE' else None)
        return True

    def delete(self, oid):
        self.writes.append(('delete', oid))
        del self.objs[oid]

    def set_name(self, oid, name):
        self.writes.append(('name', oid))
        self.objs[oid]['name'] = self._free_name(name, oid)
        return self.objs[oid]['name']

    def set_parent(self, oid, parent):
        if parent is not None and parent not in self.objs:
            return False
        self.writes.append(('parent', oid))
        self.objs[oid]['parent'] = parent
        return True

    def set_visible(self, oid, visible):
        self.writes.append(('visible', oid))
        self.objs[oid]['visible'] = visible

    def set_xform(self, oid, x):
        self.writes.append(('xform', oid))
        self.objs[oid]['xform'] = x
        return x

    def set_bones(self, oid, bones):
        self.writes.append(('bones', oid))
        have = self.objs[oid]['bones']
        out = {}
        for n, x in bones.items():
            if have is not None and n in have:
                have[n] = x
                out[n] = x
        return out


class FakeAgent:
    def __init__(self):
        self.lines = []
        self.inbox = []
        self.stopped = False

    def send(self, line):
        self.lines.append(json.loads(line))

    def poll(self, limit=10_000):
        out, self.inbox = self.inbox[:limit], self.inbox[limit:]
        return out

    def stop(self):
        self.stopped = True

    def push(self, msg):
        """Queues a message as the agent would write it (through JSON and decode)."""
        self.inbox.append(P.decode(json.dumps(msg)))

    def ops(self):
        """Every op sent, batches flattened."""
        out = []
        for line in self.lines:
            out.extend(line['ops'] if line['op'] == 'batch' else [line])
        return out

    def take(self):
        ops = self.ops()
        self.lines = []
        return ops


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t

    def tick(self, dt=0.02):
        self.t += dt


def obj_msg(oid, name='Cube', type='MESH', parent=None, visible=True, xform=None, pose=None, full=False):
    return {'type': 'object', 'id': oid, 'name': name, 'objectType': type, 'parent': parent, 'visible': visible,
            'xform': X.to_json(xform or X.IDENTITY), 'pose': {b: (None if v is None else X.to_json(v)) for b, v in (pose or {}).items()},
            'full': full}


def connected(world=None, objects=()):
    """A session connected to a fake agent and reconciled with a scene of ``objects``."""
    clock = Clock()
    s = Session(clock=clock, log=lambda m: None)
    agent = FakeAgent()
    w = world or FakeWorld()
    s.connect(agent, ('ws://test', 'room'))
    agent.push({'type': 'status', 'status': 'synced'})
    agent.push({'type': 'scene', 'objects': [dict(o, full=True) for o in objects]})
    s.pump(w)
    return s, agent, w, clock
