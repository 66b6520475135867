/**
 * A reader of the geometry encoding, version 1 (docs/geometry-format.md),
 * written from the document as any client would: the page needs a mesh's
 * triangles and an armature's bones at rest, nothing Blender-specific. It
 * refuses what the document says a reader refuses (another version, a
 * section past the end, a missing section, sizes that do not match the
 * counts, indices out of range) with a message naming what is wrong.
 * Curves (kind 3) are not drawn yet: they decode to `null`.
 */

export interface MeshGeometry {
  kind: 'mesh'
  vertices: number
  faces: number
  /** Triangles (a fan per face), three corners each, x y z per corner, unindexed: faces are drawn flat. */
  positions: Float32Array
}

export interface Bone {
  name: string
  parent: number
  head: [number, number, number]
  tail: [number, number, number]
  roll: number
}

export interface RigGeometry {
  kind: 'armature'
  bones: Bone[]
}

export class GeometryError extends Error {}

const KIND = { 1: 'mesh', 2: 'armature', 3: 'curve' } as const

function sections(bytes: Uint8Array): { kind: number; get(tag: string): DataView | null } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < 12 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'SGEO') throw new GeometryError('not a geometry value: it does not start with SGEO')
  const version = dv.getUint16(4, true)
  if (version !== 1) throw new GeometryError(`geometry version ${version} is not one this page reads (1)`)
  const kind = dv.getUint16(6, true)
  if (!(kind in KIND)) throw new GeometryError(`unknown geometry kind ${kind}`)
  const n = dv.getUint32(8, true)
  const found = new Map<string, DataView>()
  let at = 12
  for (let i = 0; i < n; i++) {
    if (at + 8 > bytes.length) throw new GeometryError(`section ${i} starts past the end`)
    const tag = String.fromCharCode(...bytes.subarray(at, at + 4))
    const len = dv.getUint32(at + 4, true)
    if (at + 8 + len > bytes.length) throw new GeometryError(`section ${tag} runs past the end`)
    if (found.has(tag) && tag !== 'UVMP') throw new GeometryError(`section ${tag} appears twice`)
    found.set(tag, new DataView(bytes.buffer, bytes.byteOffset + at + 8, len))
    at += 8 + len + ((4 - (len % 4)) % 4)
  }
  return { kind, get: (tag) => found.get(tag) ?? null }
}

function need(s: ReturnType<typeof sections>, tag: string, bytes: number): DataView {
  const v = s.get(tag)
  if (!v) throw new GeometryError(`section ${tag} is missing`)
  if (v.byteLength !== bytes) throw new GeometryError(`section ${tag} holds ${v.byteLength} bytes, the counts say ${bytes}`)
  return v
}

export function decodeGeometry(bytes: Uint8Array): MeshGeometry | RigGeometry | null {
  const s = sections(bytes)
  if (s.kind === 1) return decodeMesh(s)
  if (s.kind === 2) return decodeRig(s)
  return null
}

function decodeMesh(s: ReturnType<typeof sections>): MeshGeometry {
  const head = need(s, 'MESH', 28)
  const V = head.getUint32(0, true)
  const L = head.getUint32(8, true)
  const F = head.getUint32(12, true)
  const pos = need(s, 'VPOS', V * 12)
  const lv = need(s, 'LVRT', L * 4)
  const fs = need(s, 'FSTA', F * 4)
  const fz = need(s, 'FSIZ', F * 4)
  let tris = 0
  let loops = 0
  for (let f = 0; f < F; f++) {
    const n = fz.getUint32(f * 4, true)
    const start = fs.getUint32(f * 4, true)
    if (n < 3) throw new GeometryError(`face ${f} has ${n} corners (at least 3)`)
    if (start !== loops) throw new GeometryError(`face ${f} starts at loop ${start}, not ${loops}`)
    loops += n
    tris += n - 2
  }
  if (loops !== L) throw new GeometryError(`the faces hold ${loops} loops, the header says ${L}`)
  const positions = new Float32Array(tris * 9)
  const corner = (l: number, out: number) => {
    const v = lv.getUint32(l * 4, true)
    if (v >= V) throw new GeometryError(`loop ${l} names vertex ${v} of ${V}`)
    positions[out] = pos.getFloat32(v * 12, true)
    positions[out + 1] = pos.getFloat32(v * 12 + 4, true)
    positions[out + 2] = pos.getFloat32(v * 12 + 8, true)
  }
  let o = 0
  for (let f = 0; f < F; f++) {
    const start = fs.getUint32(f * 4, true)
    const n = fz.getUint32(f * 4, true)
    for (let k = 1; k + 1 < n; k++) {
      corner(start, o)
      corner(start + k, o + 3)
      corner(start + k + 1, o + 6)
      o += 9
    }
  }
  return { kind: 'mesh', vertices: V, faces: F, positions }
}

function decodeRig(s: ReturnType<typeof sections>): RigGeometry {
  const B = need(s, 'ARMT', 4).getUint32(0, true)
  const names = s.get('BNAM')
  if (!names) throw new GeometryError('section BNAM is missing')
  const par = need(s, 'BPAR', B * 4)
  const hed = need(s, 'BHED', B * 12)
  const tal = need(s, 'BTAL', B * 12)
  const rol = need(s, 'BROL', B * 4)
  const bones: Bone[] = []
  const text = new TextDecoder()
  let at = 0
  for (let b = 0; b < B; b++) {
    if (at + 4 > names.byteLength) throw new GeometryError(`bone ${b}'s name runs past BNAM`)
    const len = names.getUint32(at, true)
    if (at + 4 + len > names.byteLength) throw new GeometryError(`bone ${b}'s name runs past BNAM`)
    const name = text.decode(new Uint8Array(names.buffer, names.byteOffset + at + 4, len))
    at += 4 + len
    const parent = par.getInt32(b * 4, true)
    if (parent >= b || parent < -1) throw new GeometryError(`bone ${name} has parent ${parent}: a parent comes before its children`)
    const v3 = (d: DataView): [number, number, number] => [d.getFloat32(b * 12, true), d.getFloat32(b * 12 + 4, true), d.getFloat32(b * 12 + 8, true)]
    bones.push({ name, parent, head: v3(hed), tail: v3(tal), roll: rol.getFloat32(b * 4, true) })
  }
  return { kind: 'armature', bones }
}
