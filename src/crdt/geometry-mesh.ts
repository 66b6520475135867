/**
 * A mesh in the geometry encoding (docs/geometry-format.md): arrays in the
 * layout Blender's `foreach_get`/`foreach_set` use, so the add-on copies them
 * in and out without a per-vertex loop. Decoding checks every index, so a
 * mesh from a foreign client cannot point Blender past its arrays.
 */
import { type Container, GeometryFormatError, type Section, arrayOf, bytesOf, decodeStrings, encodeStrings, header, u32Bytes } from './geometry-sections.js'

export interface UvLayer {
  name: string
  /** Two floats (u, v) per loop. */
  uv: Float32Array
}

export interface MeshGeometry {
  kind: 'MESH'
  /** x, y, z per vertex. */
  positions: Float32Array
  /** Two vertex indices per edge. */
  edges: Uint32Array
  /** Per loop (face corner): its vertex and the edge to the next corner of its face. */
  loopVertices: Uint32Array
  loopEdges: Uint32Array
  /** Per face: its first loop and its number of loops; faces' loops are consecutive. */
  faceStarts: Uint32Array
  faceSizes: Uint32Array
  /** Per face, 1 when shaded smooth; null when every face is flat. */
  smooth: Uint8Array | null
  /** Per face, its material slot (0..32767); null when every face uses slot 0. */
  materialIndices: Uint32Array | null
  /** Per edge, 1 when marked sharp; null when none is. */
  sharpEdges: Uint8Array | null
  uvLayers: UvLayer[]
  /** Index into uvLayers of the active layer and of the one used for rendering (0 without layers). */
  activeUv: number
  activeRenderUv: number
}

export const MAX_UV_LAYERS = 8
/** Blender's material slots are numbered by a short. */
const MAX_MATERIAL_SLOT = 32767
const MAX_LAYER_NAME_BYTES = 63

export function meshSections(m: MeshGeometry): Section[] {
  const V = m.positions.length / 3
  const E = m.edges.length / 2
  const L = m.loopVertices.length
  const F = m.faceSizes.length
  const out: Section[] = [
    { tag: 'MESH', bytes: u32Bytes([V, E, L, F, m.uvLayers.length, m.activeUv, m.activeRenderUv]) },
    { tag: 'VPOS', bytes: bytesOf(m.positions) },
    { tag: 'EDGE', bytes: bytesOf(m.edges) },
    { tag: 'LVRT', bytes: bytesOf(m.loopVertices) },
    { tag: 'LEDG', bytes: bytesOf(m.loopEdges) },
    { tag: 'FSTA', bytes: bytesOf(m.faceStarts) },
    { tag: 'FSIZ', bytes: bytesOf(m.faceSizes) },
  ]
  // Canonical: an all-zero optional array is written as no section.
  if (anySet(m.smooth)) out.push({ tag: 'FSMO', bytes: bytesOf(m.smooth!) })
  if (anySet(m.materialIndices)) out.push({ tag: 'FMAT', bytes: bytesOf(m.materialIndices!) })
  if (anySet(m.sharpEdges)) out.push({ tag: 'ESHP', bytes: bytesOf(m.sharpEdges!) })
  for (const layer of m.uvLayers) {
    const name = encodeStrings([layer.name])
    const padded = (name.length + 3) & ~3
    const bytes = new Uint8Array(padded + layer.uv.byteLength)
    bytes.set(name, 0)
    bytes.set(bytesOf(layer.uv), padded)
    out.push({ tag: 'UVMP', bytes })
  }
  return out
}

function anySet(a: Uint8Array | Uint32Array | null): boolean {
  if (!a) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return true
  return false
}

export function readMesh(c: Container): MeshGeometry {
  const [V, E, L, F, nUv, activeUv, activeRenderUv] = header(c, 'MESH', 7) as [number, number, number, number, number, number, number]
  const m: MeshGeometry = {
    kind: 'MESH',
    positions: arrayOf(c, 'VPOS', Float32Array, V * 3, true),
    edges: arrayOf(c, 'EDGE', Uint32Array, E * 2, true),
    loopVertices: arrayOf(c, 'LVRT', Uint32Array, L, true),
    loopEdges: arrayOf(c, 'LEDG', Uint32Array, L, true),
    faceStarts: arrayOf(c, 'FSTA', Uint32Array, F, true),
    faceSizes: arrayOf(c, 'FSIZ', Uint32Array, F, true),
    smooth: arrayOf(c, 'FSMO', Uint8Array, F, false),
    materialIndices: arrayOf(c, 'FMAT', Uint32Array, F, false),
    sharpEdges: arrayOf(c, 'ESHP', Uint8Array, E, false),
    uvLayers: (c.sections.get('UVMP') ?? []).map((s, i) => readUv(s, i, L)),
    activeUv,
    activeRenderUv,
  }
  if (m.uvLayers.length !== nUv) throw new GeometryFormatError(`the MESH header announces ${nUv} UV layers, ${m.uvLayers.length} UVMP sections present`)
  checkMesh(m)
  return m
}

function readUv(s: Uint8Array, i: number, loops: number): UvLayer {
  if (s.length < 4) throw new GeometryFormatError(`UV layer ${i} is too short`)
  const nameLen = new DataView(s.buffer, s.byteOffset, 4).getUint32(0, true)
  const padded = (4 + nameLen + 3) & ~3
  if (padded > s.length) throw new GeometryFormatError(`UV layer ${i}: its name runs past the section`)
  const [name] = decodeStrings(s.subarray(0, 4 + nameLen), 1, `UV layer ${i} name`)
  const want = loops * 8
  if (s.length - padded !== want) throw new GeometryFormatError(`UV layer ${i} must hold 2 floats per loop (${want} bytes), got ${s.length - padded}`)
  return { name: name!, uv: new Float32Array(s.buffer, s.byteOffset + padded, loops * 2) }
}

const fail = (msg: string): never => {
  throw new GeometryFormatError(msg)
}

/** NaN and infinities are the floats whose exponent bits are all ones: an integer test, ten times faster. */
export function checkFinite(a: Float32Array, what: string): void {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length)
  for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7f800000) === 0x7f800000) fail(`${what}[${i}] is not a finite number`)
}

function checkFlags(a: Uint8Array | null, what: string): void {
  if (a) for (let i = 0; i < a.length; i++) if (a[i]! > 1) fail(`${what}[${i}] must be 0 or 1, got ${a[i]}`)
}

/** Every index in range and every face well formed: what Blender needs to not read past its arrays. */
export function checkMesh(m: MeshGeometry): void {
  const V = m.positions.length / 3
  const E = m.edges.length / 2
  const L = m.loopVertices.length
  const F = m.faceSizes.length
  checkFinite(m.positions, 'vertex position')
  for (let e = 0; e < E; e++) {
    const a = m.edges[2 * e]!
    const b = m.edges[2 * e + 1]!
    if (a >= V || b >= V) fail(`edge ${e} names vertex ${Math.max(a, b)}, but the mesh has ${V} vertices`)
    if (a === b) fail(`edge ${e} joins vertex ${a} to itself`)
  }
  for (let i = 0; i < L; i++) {
    if (m.loopVertices[i]! >= V) fail(`loop ${i} names vertex ${m.loopVertices[i]}, but the mesh has ${V} vertices`)
    if (m.loopEdges[i]! >= E) fail(`loop ${i} names edge ${m.loopEdges[i]}, but the mesh has ${E} edges`)
  }
  let next = 0
  for (let f = 0; f < F; f++) {
    const start = m.faceStarts[f]!
    const size = m.faceSizes[f]!
    if (start !== next) fail(`face ${f} starts at loop ${start}, expected ${next} (faces' loops are consecutive)`)
    if (size < 3) fail(`face ${f} has ${size} corners; a face needs at least 3`)
    if (start + size > L) fail(`face ${f} runs past the ${L} loops`)
    for (let i = start; i < start + size; i++) {
      const v = m.loopVertices[i]!
      const e = m.loopEdges[i]!
      const w = m.loopVertices[i + 1 < start + size ? i + 1 : start]!
      const a = m.edges[2 * e]!
      const b = m.edges[2 * e + 1]!
      if (!((a === v && b === w) || (a === w && b === v))) fail(`loop ${i}: edge ${e} does not join vertices ${v} and ${w}`)
    }
    next = start + size
  }
  if (next !== L) fail(`the faces use ${next} loops, the mesh has ${L}`)
  if (m.materialIndices) for (let f = 0; f < F; f++) if (m.materialIndices[f]! > MAX_MATERIAL_SLOT) fail(`face ${f}: material slot ${m.materialIndices[f]} is over ${MAX_MATERIAL_SLOT}`)
  checkFlags(m.smooth, 'smooth flag')
  checkFlags(m.sharpEdges, 'sharp edge flag')
  if (m.uvLayers.length > MAX_UV_LAYERS) fail(`at most ${MAX_UV_LAYERS} UV layers, got ${m.uvLayers.length}`)
  const names = new Set<string>()
  for (const [i, layer] of m.uvLayers.entries()) {
    if (layer.name.length === 0 || new TextEncoder().encode(layer.name).length > MAX_LAYER_NAME_BYTES) fail(`UV layer ${i} needs a name of 1..${MAX_LAYER_NAME_BYTES} bytes`)
    if (names.has(layer.name)) fail(`two UV layers are named ${JSON.stringify(layer.name)}`)
    names.add(layer.name)
    if (layer.uv.length !== L * 2) fail(`UV layer ${JSON.stringify(layer.name)} must hold 2 floats per loop`)
    checkFinite(layer.uv, `UV layer ${JSON.stringify(layer.name)}`)
  }
  const nUv = m.uvLayers.length
  for (const [what, v] of [['active UV layer', m.activeUv], ['render UV layer', m.activeRenderUv]] as const) {
    if (nUv === 0 ? v !== 0 : v >= nUv) fail(`${what} ${v} does not name one of the ${nUv} UV layers`)
  }
}
