"""Values over time, sampled exactly ([H1]), and the keys a bake writes.

A ``Track`` holds one object's (or one pose bone's) recorded values at the
times of the log entries that changed it. Its value at t is the value of the
latest entry at or before t, the one ``scene_at(t)`` gives; entries in one
millisecond keep the last, as the server's time lookup does.

Playback may blend between two real samples for display (``display``), but
only across a short gap, so a drag plays smoothly and a pause stays a pause.
Bakes never blend: their keys sit at the samples' times (or, when asked, on
whole frames, each holding the latest sample at or before it) with constant
interpolation, so the action holds no motion the log does not.
"""
from __future__ import annotations

import bisect
import math

# Two samples further apart than this are not blended for display: an object
# that stood still for a minute did not drift there.
SMOOTH_GAP_MS = 250.0

ROTATION_PATHS = {'QUATERNION': ('rotation_quaternion', 4), 'AXIS_ANGLE': ('rotation_axis_angle', 4)}
EULER = ('rotation_euler', 3)


class Track:
    __slots__ = ('times', 'values')

    def __init__(self):
        self.times = []
        self.values = []

    def add(self, t: float, value) -> None:
        """Samples arrive in log order; one millisecond keeps its last."""
        if self.times and t <= self.times[-1]:
            if t == self.times[-1]:
                self.values[-1] = value
                return
            raise ValueError(f'samples out of order: {t} after {self.times[-1]}')
        self.times.append(t)
        self.values.append(value)

    def __len__(self):
        return len(self.times)

    def index(self, t: float) -> int:
        """Index of the latest sample at or before t; -1 before the first."""
        return bisect.bisect_right(self.times, t) - 1

    def at(self, t: float, default=None):
        i = self.index(t)
        return self.values[i] if i >= 0 else default


# -- rotations -------------------------------------------------------------------

def _qmul(a, b):
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return (aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw)


def _axis(axis: str, angle: float):
    s, c = math.sin(angle / 2), math.cos(angle / 2)
    return {'X': (c, s, 0.0, 0.0), 'Y': (c, 0.0, s, 0.0), 'Z': (c, 0.0, 0.0, s)}[axis]


def quaternion(mode: str, rot) -> tuple:
    """A rotation in any of Blender's modes as a unit quaternion (w, x, y, z).
    Euler 'XYZ' turns about X first, then Y, then Z, as Blender does."""
    if mode == 'QUATERNION':
        w, x, y, z = rot
        n = math.sqrt(w * w + x * x + y * y + z * z) or 1.0
        return (w / n, x / n, y / n, z / n)
    if mode == 'AXIS_ANGLE':
        angle, x, y, z = rot
        n = math.sqrt(x * x + y * y + z * z)
        if n == 0:
            return (1.0, 0.0, 0.0, 0.0)
        s = math.sin(angle / 2) / n
        return (math.cos(angle / 2), x * s, y * s, z * s)
    angles = dict(zip('XYZ', rot))
    q = (1.0, 0.0, 0.0, 0.0)
    for a in mode:
        q = _qmul(_axis(a, angles[a]), q)
    return q


def as_quaternion_xform(xf):
    """The same transform with its rotation as a quaternion (for display blending)."""
    if xf is None or xf[0] == 'QUATERNION':
        return xf
    return ('QUATERNION', xf[1], quaternion(xf[0], xf[2]), xf[3])


def _lerp(a, b, f):
    return tuple(x + (y - x) * f for x, y in zip(a, b))


def blend(a, b, f: float):
    """A transform between two samples, for display only (never baked or sent)."""
    if a is None or b is None:
        return a
    if a[0] != b[0]:
        a, b = as_quaternion_xform(a), as_quaternion_xform(b)
    mode = a[0]
    if mode == 'QUATERNION':
        qa, qb = a[2], b[2]
        if sum(x * y for x, y in zip(qa, qb)) < 0:
            qb = tuple(-x for x in qb)
        q = _lerp(qa, qb, f)
        n = math.sqrt(sum(x * x for x in q)) or 1.0
        rot = tuple(x / n for x in q)
    else:
        rot = _lerp(a[2], b[2], f)
    return (mode, _lerp(a[1], b[1], f), rot, _lerp(a[3], b[3], f))


def display(track: Track, t: float, smooth: bool = True, gap: float = SMOOTH_GAP_MS, lerp=blend):
    """The value to show at t: the sample at or before t, blended towards the
    next one when both are real samples less than ``gap`` apart."""
    i = track.index(t)
    if i < 0:
        return None
    v = track.values[i]
    if not smooth or i + 1 >= len(track.times):
        return v
    t0, t1 = track.times[i], track.times[i + 1]
    nxt = track.values[i + 1]
    if t1 - t0 > gap or v is None or nxt is None:
        return v
    return lerp(v, nxt, (t - t0) / (t1 - t0))


# -- bakes -----------------------------------------------------------------------

def frame_of(t: float, t0: float, fps: float, frame_start: float) -> float:
    """The scene frame a log time falls on: the range's start is ``frame_start``."""
    return frame_start + (t - t0) * fps / 1000.0


def time_of_frame(frame: float, t0: float, fps: float, frame_start: float) -> float:
    return t0 + (frame - frame_start) * 1000.0 / fps


def bake_keys(track: Track, t0: float, t1: float, fps: float, frame_start: float, resample: bool = False):
    """(frame, value) keys for the samples in [t0, t1] ([H1]). A sample at or
    before t0 (the value the range starts with) is keyed at ``frame_start``.
    With ``resample``, one key per whole frame holding the latest sample at or
    before that frame's time (frames before the first sample are skipped)."""
    if not len(track):
        return []
    if not resample:
        out = []
        i0 = track.index(t0)
        if i0 >= 0:
            out.append((float(frame_start), track.values[i0]))
        for i in range(i0 + 1, len(track.times)):
            t = track.times[i]
            if t > t1:
                break
            out.append((frame_of(t, t0, fps, frame_start), track.values[i]))
        return out
    last = math.floor(frame_of(t1, t0, fps, frame_start) + 1e-9)
    out = []
    for f in range(int(frame_start), int(last) + 1):
        v = track.at(time_of_frame(f, t0, fps, frame_start))
        if v is not None:
            out.append((float(f), v))
    return out


def escape(name: str) -> str:
    """A name inside a data path's ["..."], as bpy.utils.escape_identifier writes it."""
    return name.replace('\\', '\\\\').replace('"', '\\"')


def bone_prefix(bone: str) -> str:
    return f'pose.bones["{escape(bone)}"].'


def curves(keys, prefix: str = '') -> dict:
    """F-curve contents for transform keys: (data path, index) -> [frame, value,
    frame, value, ...] flat, as keyframe_points.foreach_set('co') takes it.
    A key is kept only where its channel's value changed (constant
    interpolation holds it between), so an unchanged scale is one key."""
    out = {}
    last = {}

    def put(path, i, f, v):
        k = (prefix + path, i)
        if last.get(k) == v:
            return
        last[k] = v
        out.setdefault(k, []).extend((f, v))

    for f, xf in keys:
        if xf is None:
            continue
        mode, loc, rot, scale = xf
        for i, v in enumerate(loc):
            put('location', i, f, v)
        path, n = ROTATION_PATHS.get(mode, EULER)
        for i in range(n):
            put(path, i, f, rot[i])
        for i, v in enumerate(scale):
            put('scale', i, f, v)
    return out
