"""Transforms as plain tuples, compared exactly.

An xform is ``(mode, location, rotation, scale)`` with tuples of floats, the way
docs/agent-protocol.md describes it. Tuples rather than dicts: the depsgraph
handler builds one per updated object on every drag step, and tuple building and
``==`` are the cheapest Python offers.

Blender stores float32 and the agent stores float32 (it rounds with
``Math.fround``), so values read back from Blender and values received from the
agent compare exactly once both are float32; a tolerance would hide real nudges
and make "did this change?" depend on a magic epsilon.
"""
from __future__ import annotations

import math
import struct

ROTATION_MODES = ('QUATERNION', 'AXIS_ANGLE', 'XYZ', 'XZY', 'YXZ', 'YZX', 'ZXY', 'ZYX')
IDENTITY = ('XYZ', (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))

_F32 = struct.Struct('<f')


def f32(v: float) -> float:
    """``v`` rounded to the nearest float32, as Blender would store it."""
    return _F32.unpack(_F32.pack(v))[0]


def rotation_length(mode: str) -> int:
    return 4 if mode in ('QUATERNION', 'AXIS_ANGLE') else 3


def _vec(v, n: int):
    if not isinstance(v, (list, tuple)) or len(v) != n:
        return None
    out = []
    for e in v:
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not math.isfinite(e):
            return None
        out.append(f32(float(e)))
    return tuple(out)


def from_json(x):
    """The xform in an agent message, or None when it is missing or malformed.

    A Yjs client we did not write may have stored anything; a bad value is
    skipped by the caller rather than crashing the timer that applies it."""
    if not isinstance(x, dict) or x.get('mode') not in ROTATION_MODES:
        return None
    mode = x['mode']
    loc = _vec(x.get('location'), 3)
    rot = _vec(x.get('rotation'), rotation_length(mode))
    scale = _vec(x.get('scale'), 3)
    if loc is None or rot is None or scale is None:
        return None
    return (mode, loc, rot, scale)


def to_json(x) -> dict:
    mode, loc, rot, scale = x
    return {'mode': mode, 'location': list(loc), 'rotation': list(rot), 'scale': list(scale)}


def close(a, b, tol: float = 1e-5) -> bool:
    """Approximate equality, for tests comparing values that crossed JSON and SQLite."""
    if a is None or b is None:
        return a is b
    if a[0] != b[0]:
        return False
    for va, vb in zip(a[1] + a[2] + a[3], b[1] + b[2] + b[3]):
        if abs(va - vb) > tol * max(1.0, abs(va), abs(vb)):
            return False
    return True


# The three channels an edit can change, named as in docs/agent-protocol.md.
# The rotation channel carries the rotation mode: its numbers mean nothing without it.
CHANNELS = ('location', 'rotation', 'scale')


def channel(x, c: str):
    if c == 'location':
        return x[1]
    if c == 'scale':
        return x[3]
    return (x[0], x[2])


def with_channels(x, src, channels):
    """``x`` with ``channels`` taken from ``src``."""
    mode, loc, rot, scale = x
    for c in channels:
        if c == 'location':
            loc = src[1]
        elif c == 'scale':
            scale = src[3]
        else:
            mode, rot = src[0], src[2]
    return (mode, loc, rot, scale)


def changed(a, b) -> list:
    """The channels that differ between two xforms (all of them when ``a`` is None)."""
    if a is None:
        return list(CHANNELS)
    return [c for c in CHANNELS if channel(a, c) != channel(b, c)]
