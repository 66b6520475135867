"""The geometry encoding (docs/geometry-format.md), without bpy.

A mesh, an armature's bones at rest or a curve's splines as one binary value:
a 12-byte header ("SGEO", version, kind, section count) and tagged sections of
little-endian arrays, each padded to 4 bytes. The arrays are the ones Blender's
``foreach_get``/``foreach_set`` fill and read, so the glue copies them in and
out of Blender with no per-vertex Python loop; here they are ``array.array``s.

Encoding is canonical (fixed section order; optional sections only when not all
zero), so equal geometry gives equal bytes and one hash, the same bytes the
TypeScript side writes (src/crdt/geometry-*.ts; a test checks both agree).

Decoding here checks the container (magic, version, section sizes). Index
ranges are checked by the agent before a value from the doc reaches Blender
(src/crdt/geometry-mesh.ts), which is where foreign values come in.
"""
from __future__ import annotations

import hashlib
import os
import struct
import sys
from array import array

MAGIC = b'SGEO'
VERSION = 1
KINDS = {'MESH': 1, 'ARMATURE': 2, 'CURVE': 3}
KIND_NAMES = {v: k for k, v in KINDS.items()}

# Typecodes with 4-byte items on every platform Blender runs on ('I' is also
# what Blender's foreach fast path wants for vertex indices).
U32, I32, F32, U16, U8 = 'I', 'i', 'f', 'H', 'B'
assert array(U32).itemsize == 4 and array(I32).itemsize == 4 and array(F32).itemsize == 4
LITTLE = sys.byteorder == 'little'


class GeometryError(ValueError):
    pass


def zeros(typecode: str, n: int) -> array:
    """A zero-filled array of n items, made without a Python loop."""
    return array(typecode, bytes(array(typecode).itemsize * n))


def _le(a):
    """A little-endian bytes-like view of a payload (an array as is: no copy)."""
    if isinstance(a, array):
        if not LITTLE:
            a = array(a.typecode, a)
            a.byteswap()
        return a
    return a if isinstance(a, (bytes, bytearray, memoryview)) else bytes(a)


def _nbytes(b) -> int:
    return b.itemsize * len(b) if isinstance(b, array) else len(b)


def _pad(n: int) -> int:
    return (n + 3) & ~3


def container_parts(kind: str, sections) -> list:
    """The value as a list of bytes-like parts, the arrays among them uncopied:
    hashing and writing them one by one spares a copy of a 100 MB value.
    ``sections``: (tag, bytes or array) pairs, written in that order."""
    parts = [MAGIC, struct.pack('<HHI', VERSION, KINDS[kind], len(sections))]
    for tag, payload in sections:
        data = _le(payload)
        n = _nbytes(data)
        parts.append(struct.pack('<4sI', tag.encode('ascii'), n))
        if n:
            parts.append(data)
        if n % 4:
            parts.append(bytes(4 - n % 4))
    return parts


def write_container(kind: str, sections) -> bytes:
    return b''.join(container_parts(kind, sections))


def read_container(data):
    """(kind, {tag: [memoryview, ...]}) with every length checked."""
    mv = memoryview(data).cast('B')
    if len(mv) < 12:
        raise GeometryError(f'geometry must start with a 12-byte header, got {len(mv)} bytes')
    if bytes(mv[:4]) != MAGIC:
        raise GeometryError('geometry must start with the magic "SGEO"')
    version, code, count = struct.unpack_from('<HHI', mv, 4)
    if version != VERSION:
        raise GeometryError(f'geometry version {version} is not supported (this reader knows version {VERSION})')
    if code not in KIND_NAMES:
        raise GeometryError(f'geometry kind {code} is unknown')
    sections = {}
    at = 12
    for i in range(count):
        if at + 8 > len(mv):
            raise GeometryError(f'section {i} of {count} starts past the end')
        tag, n = struct.unpack_from('<4sI', mv, at)
        if at + 8 + n > len(mv):
            raise GeometryError(f'section {tag.decode("ascii", "replace")} runs past the end')
        sections.setdefault(tag.decode('ascii', 'replace'), []).append(mv[at + 8:at + 8 + n])
        at += 8 + _pad(n)
    if at != len(mv):
        raise GeometryError('the sections do not end at the end of the value')
    return KIND_NAMES[code], sections


def _one(sections, tag, required=True):
    got = sections.get(tag)
    if not got:
        if required:
            raise GeometryError(f'geometry needs a {tag} section')
        return None
    if len(got) > 1:
        raise GeometryError(f'section {tag} appears {len(got)} times')
    return got[0]


def _array(sections, tag, typecode, count, required=True):
    """A section as an array of ``count`` items (one copy, no per-item loop)."""
    mv = _one(sections, tag, required)
    if mv is None:
        return None
    a = array(typecode)
    if len(mv) != count * a.itemsize:
        raise GeometryError(f'section {tag} must hold {count} items of {a.itemsize} bytes, got {len(mv)} bytes')
    a.frombytes(mv)
    if not LITTLE:
        a.byteswap()
    return a


def _u32s(sections, tag, n):
    mv = _one(sections, tag)
    if len(mv) != 4 * n:
        raise GeometryError(f'section {tag} must hold {n} u32 values')
    return struct.unpack_from(f'<{n}I', mv)


def _strings(names) -> bytes:
    parts = []
    for n in names:
        b = n.encode('utf-8')
        parts.append(struct.pack('<I', len(b)))
        parts.append(b)
    return b''.join(parts)


def _read_strings(mv, count, what):
    out, at = [], 0
    for i in range(count):
        if at + 4 > len(mv):
            raise GeometryError(f'{what}: string {i} starts past the end')
        (n,) = struct.unpack_from('<I', mv, at)
        if at + 4 + n > len(mv):
            raise GeometryError(f'{what}: string {i} runs past the end')
        try:
            out.append(bytes(mv[at + 4:at + 4 + n]).decode('utf-8'))
        except UnicodeDecodeError:
            raise GeometryError(f'{what}: string {i} is not UTF-8') from None
        at += 4 + n
    if at != len(mv):
        raise GeometryError(f'{what}: bytes after the last string')
    return out


def any_set(a) -> bool:
    """Whether any item is non-zero (C speed: compares bytes)."""
    if a is None:
        return False
    raw = a.tobytes() if isinstance(a, array) else bytes(a)
    return raw.count(0) != len(raw)


# -- meshes -------------------------------------------------------------------

MESH_FIELDS = ('positions', 'edges', 'loop_vertices', 'loop_edges', 'face_starts', 'face_sizes')


def encode_mesh(m: dict) -> bytes:
    return b''.join(mesh_parts(m))


def mesh_parts(m: dict) -> list:
    """``m``: positions (f, 3/vertex), edges (I, 2/edge), loop_vertices, loop_edges
    (I, 1/loop), face_starts, face_sizes (I, 1/face); optional smooth (B/face),
    material_indices (I/face), sharp_edges (B/edge), all dropped when all zero;
    uv_layers: [(name, array f of 2/loop)], active_uv, active_render_uv."""
    V, E, L, F = len(m['positions']) // 3, len(m['edges']) // 2, len(m['loop_vertices']), len(m['face_sizes'])
    uvs = m.get('uv_layers') or []
    secs = [('MESH', struct.pack('<7I', V, E, L, F, len(uvs), m.get('active_uv', 0), m.get('active_render_uv', 0))),
            ('VPOS', m['positions']), ('EDGE', m['edges']), ('LVRT', m['loop_vertices']), ('LEDG', m['loop_edges']),
            ('FSTA', m['face_starts']), ('FSIZ', m['face_sizes'])]
    for tag, key in (('FSMO', 'smooth'), ('FMAT', 'material_indices'), ('ESHP', 'sharp_edges')):
        if any_set(m.get(key)):
            secs.append((tag, m[key]))
    for name, uv in uvs:
        head = _strings([name])
        secs.append(('UVMP', head + bytes(_pad(len(head)) - len(head)) + bytes(_le(uv))))
    return container_parts('MESH', secs)


def decode_mesh(sections) -> dict:
    V, E, L, F, nuv, active, render = _u32s(sections, 'MESH', 7)
    m = {
        'positions': _array(sections, 'VPOS', F32, 3 * V),
        'edges': _array(sections, 'EDGE', U32, 2 * E),
        'loop_vertices': _array(sections, 'LVRT', U32, L),
        'loop_edges': _array(sections, 'LEDG', U32, L),
        'face_starts': _array(sections, 'FSTA', U32, F),
        'face_sizes': _array(sections, 'FSIZ', U32, F),
        'smooth': _array(sections, 'FSMO', U8, F, False),
        'material_indices': _array(sections, 'FMAT', U32, F, False),
        'sharp_edges': _array(sections, 'ESHP', U8, E, False),
        'uv_layers': [], 'active_uv': active, 'active_render_uv': render,
        'counts': (V, E, L, F),
    }
    for i, mv in enumerate(sections.get('UVMP', [])):
        if len(mv) < 4:
            raise GeometryError(f'UV layer {i} is too short')
        (n,) = struct.unpack_from('<I', mv, 0)
        start = _pad(4 + n)
        name = _read_strings(mv[:4 + n], 1, f'UV layer {i} name')[0]
        uv = array(F32)
        if len(mv) - start != 8 * L:
            raise GeometryError(f'UV layer {i} must hold 2 floats per loop')
        uv.frombytes(mv[start:])
        m['uv_layers'].append((name, uv))
    if len(m['uv_layers']) != nuv:
        raise GeometryError(f'the MESH header announces {nuv} UV layers, {len(m["uv_layers"])} present')
    return m


# -- armatures ----------------------------------------------------------------

def encode_armature(a: dict) -> bytes:
    return b''.join(armature_parts(a))


def armature_parts(a: dict) -> list:
    """``a``: names, parents (i, -1 for roots; parents before children), heads,
    tails (f, 3/bone), rolls (f), flags (B: 1 connected, 2 deform)."""
    n = len(a['names'])
    return container_parts('ARMATURE', [
        ('ARMT', struct.pack('<I', n)), ('BNAM', _strings(a['names'])), ('BPAR', a['parents']),
        ('BHED', a['heads']), ('BTAL', a['tails']), ('BROL', a['rolls']), ('BFLG', a['flags'])])


def decode_armature(sections) -> dict:
    (n,) = _u32s(sections, 'ARMT', 1)
    a = {
        'names': _read_strings(_one(sections, 'BNAM'), n, 'bone names'),
        'parents': _array(sections, 'BPAR', I32, n), 'heads': _array(sections, 'BHED', F32, 3 * n),
        'tails': _array(sections, 'BTAL', F32, 3 * n), 'rolls': _array(sections, 'BROL', F32, n),
        'flags': _array(sections, 'BFLG', U8, n),
    }
    for i, p in enumerate(a['parents']):
        if not (p == -1 or 0 <= p < i):
            raise GeometryError(f'bone {i}: parent {p} must be -1 or an earlier bone')
    return a


# -- curves -------------------------------------------------------------------

SPLINE_TYPES = ('POLY', 'BEZIER', 'NURBS')
HANDLE_TYPES = ('FREE', 'VECTOR', 'ALIGNED', 'AUTO')
CYCLIC, ENDPOINT, BEZIER_KNOTS, SMOOTH = 1, 2, 4, 8
CURVE_FIELDS = (('SPTY', 'types', U8), ('SPCT', 'counts', U32), ('SPFL', 'flags', U8), ('SPOR', 'orders', U32),
                ('SPRS', 'resolutions', U32), ('SPMT', 'materials', U32))
BEZIER_FIELDS = (('BZCO', 'bezier_co', F32, 3), ('BZHL', 'bezier_left', F32, 3), ('BZHR', 'bezier_right', F32, 3),
                 ('BZHT', 'bezier_handle_types', U8, 2), ('BZRA', 'bezier_radius', F32, 1), ('BZTL', 'bezier_tilt', F32, 1))
POINT_FIELDS = (('PTCO', 'point_co', F32, 4), ('PTRA', 'point_radius', F32, 1), ('PTTL', 'point_tilt', F32, 1))


def point_totals(types, counts):
    pb = sum(c for t, c in zip(types, counts) if t == 1)
    return pb, sum(counts) - pb


def encode_curve(c: dict) -> bytes:
    return b''.join(curve_parts(c))


def curve_parts(c: dict) -> list:
    pb, pn = point_totals(c['types'], c['counts'])
    secs = [('CURV', struct.pack('<3I', len(c['types']), pb, pn))]
    secs += [(tag, c[key]) for tag, key, _ in CURVE_FIELDS]
    secs += [(tag, c[key]) for tag, key, _, _ in BEZIER_FIELDS + POINT_FIELDS]
    return container_parts('CURVE', secs)


def decode_curve(sections) -> dict:
    S, PB, PN = _u32s(sections, 'CURV', 3)
    c = {key: _array(sections, tag, tc, S) for tag, key, tc in CURVE_FIELDS}
    if point_totals(c['types'], c['counts']) != (PB, PN):
        raise GeometryError('the splines\' point counts do not match the CURV header')
    for tag, key, tc, k in BEZIER_FIELDS:
        c[key] = _array(sections, tag, tc, k * PB)
    for tag, key, tc, k in POINT_FIELDS:
        c[key] = _array(sections, tag, tc, k * PN)
    return c


# -- values -------------------------------------------------------------------

ENCODERS = {'MESH': encode_mesh, 'ARMATURE': encode_armature, 'CURVE': encode_curve}
DECODERS = {'MESH': decode_mesh, 'ARMATURE': decode_armature, 'CURVE': decode_curve}


def encode(kind: str, value: dict) -> bytes:
    return ENCODERS[kind](value)


def decode(data):
    """(kind, arrays) of an encoded value."""
    kind, sections = read_container(data)
    return kind, DECODERS[kind](sections)


def as_parts(data) -> list:
    return data if isinstance(data, list) else [data]


def digest(data) -> str:
    """SHA-256 hex of a value given as bytes or as a list of parts."""
    h = hashlib.sha256()
    for p in as_parts(data):
        h.update(p)
    return h.hexdigest()


def size_of(data) -> int:
    return sum(_nbytes(p) for p in as_parts(data))


def store(folder: str, data, h: str = None) -> tuple:
    """Writes a value (bytes or parts) to ``folder``/<hash>.sgeo, atomically;
    kept if already there (the name is the content). Returns (hash, path)."""
    parts = as_parts(data)
    h = h or digest(parts)
    path = os.path.join(folder, h + '.sgeo')
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        tmp = f'{path}.{os.getpid()}.tmp'
        with open(tmp, 'wb') as f:
            for p in parts:
                f.write(p)
        os.replace(tmp, path)
    return h, path


def load(path: str, expected_hash: str = None) -> bytes:
    with open(path, 'rb') as f:
        data = f.read()
    if expected_hash is not None and digest(data) != expected_hash:
        raise GeometryError(f'{path} does not hash to {expected_hash[:12]}…')
    return data


def mesh_counts(path: str):
    """(vertices, faces) from the head of a mesh geometry file, without reading
    the rest; None when the file is missing or is not a mesh of this version.
    Joining compares them with a local mesh (core/adopt.py)."""
    try:
        with open(path, 'rb') as f:
            head = f.read(36)
    except OSError:
        return None
    if len(head) < 36 or head[:4] != MAGIC:
        return None
    version, code, _count = struct.unpack_from('<HHI', head, 4)
    tag, _n = struct.unpack_from('<4sI', head, 12)
    if version != VERSION or KIND_NAMES.get(code) != 'MESH' or tag != b'MESH':
        return None
    v, _e, _l, faces = struct.unpack_from('<4I', head, 20)
    return v, faces

