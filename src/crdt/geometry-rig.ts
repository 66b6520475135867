/**
 * An armature's bones at rest and a curve's splines in the geometry encoding
 * (docs/geometry-format.md). Both are small next to meshes; they share the
 * container so that every heavy part travels, hashes and versions alike.
 */
import { checkFinite } from './geometry-mesh.js'
import { type Container, GeometryFormatError, type Section, arrayOf, bytesOf, decodeStrings, encodeStrings, header, single, u32Bytes } from './geometry-sections.js'

export interface ArmatureGeometry {
  kind: 'ARMATURE'
  names: string[]
  /** Index of each bone's parent, -1 for a root; a parent always comes before its children. */
  parents: Int32Array
  /** Head and tail in armature space, 3 floats per bone; roll in radians. */
  heads: Float32Array
  tails: Float32Array
  rolls: Float32Array
  /** Per bone: bit 0 connected to its parent, bit 1 deforms. */
  flags: Uint8Array
}

export const BONE_CONNECTED = 1
export const BONE_DEFORM = 2
const MAX_BONE_NAME_BYTES = 63

export function armatureSections(a: ArmatureGeometry): Section[] {
  return [
    { tag: 'ARMT', bytes: u32Bytes([a.names.length]) },
    { tag: 'BNAM', bytes: encodeStrings(a.names) },
    { tag: 'BPAR', bytes: bytesOf(a.parents) },
    { tag: 'BHED', bytes: bytesOf(a.heads) },
    { tag: 'BTAL', bytes: bytesOf(a.tails) },
    { tag: 'BROL', bytes: bytesOf(a.rolls) },
    { tag: 'BFLG', bytes: bytesOf(a.flags) },
  ]
}

const fail = (msg: string): never => {
  throw new GeometryFormatError(msg)
}

const finite = checkFinite

export function readArmature(c: Container): ArmatureGeometry {
  const [n] = header(c, 'ARMT', 1) as [number]
  const a: ArmatureGeometry = {
    kind: 'ARMATURE',
    names: decodeStrings(single(c, 'BNAM', true)!, n, 'bone names'),
    parents: arrayOf(c, 'BPAR', Int32Array, n, true),
    heads: arrayOf(c, 'BHED', Float32Array, n * 3, true),
    tails: arrayOf(c, 'BTAL', Float32Array, n * 3, true),
    rolls: arrayOf(c, 'BROL', Float32Array, n, true),
    flags: arrayOf(c, 'BFLG', Uint8Array, n, true),
  }
  checkArmature(a)
  return a
}

export function checkArmature(a: ArmatureGeometry): void {
  const seen = new Set<string>()
  a.names.forEach((name, i) => {
    if (name.length === 0 || new TextEncoder().encode(name).length > MAX_BONE_NAME_BYTES) fail(`bone ${i} needs a name of 1..${MAX_BONE_NAME_BYTES} bytes`)
    if (seen.has(name)) fail(`two bones are named ${JSON.stringify(name)}`)
    seen.add(name)
    const p = a.parents[i]!
    if (p !== -1 && (p < 0 || p >= i)) fail(`bone ${JSON.stringify(name)}: parent ${p} must be -1 or an earlier bone`)
    const f = a.flags[i]!
    if (f > (BONE_CONNECTED | BONE_DEFORM)) fail(`bone ${JSON.stringify(name)}: unknown flags ${f}`)
    if (f & BONE_CONNECTED && p === -1) fail(`bone ${JSON.stringify(name)} is connected but has no parent`)
  })
  finite(a.heads, 'bone head')
  finite(a.tails, 'bone tail')
  finite(a.rolls, 'bone roll')
}

export const SPLINE_TYPES = ['POLY', 'BEZIER', 'NURBS'] as const
export const HANDLE_TYPES = ['FREE', 'VECTOR', 'ALIGNED', 'AUTO'] as const
/** Spline flags: bit 0 cyclic, 1 endpoint, 2 Bézier knots, 3 smooth. */
export const SPLINE_CYCLIC = 1
export const SPLINE_ENDPOINT = 2
export const SPLINE_BEZIER = 4
export const SPLINE_SMOOTH = 8

export interface CurveGeometry {
  kind: 'CURVE'
  /** Per spline: index into SPLINE_TYPES, point count, flags, order, resolution, material slot. */
  types: Uint8Array
  counts: Uint32Array
  flags: Uint8Array
  orders: Uint32Array
  resolutions: Uint32Array
  materials: Uint32Array
  /** The Bézier splines' points, in spline order: position, left and right handles (3 floats each), */
  bezierCo: Float32Array
  bezierLeft: Float32Array
  bezierRight: Float32Array
  /** left and right handle types (2 per point, index into HANDLE_TYPES), radius, tilt. */
  bezierHandleTypes: Uint8Array
  bezierRadius: Float32Array
  bezierTilt: Float32Array
  /** The other splines' points: x, y, z, w (4 floats each), radius, tilt. */
  pointCo: Float32Array
  pointRadius: Float32Array
  pointTilt: Float32Array
}

export function curveSections(c: CurveGeometry): Section[] {
  const [pb, pn] = pointTotals(c)
  return [
    { tag: 'CURV', bytes: u32Bytes([c.types.length, pb, pn]) },
    { tag: 'SPTY', bytes: bytesOf(c.types) },
    { tag: 'SPCT', bytes: bytesOf(c.counts) },
    { tag: 'SPFL', bytes: bytesOf(c.flags) },
    { tag: 'SPOR', bytes: bytesOf(c.orders) },
    { tag: 'SPRS', bytes: bytesOf(c.resolutions) },
    { tag: 'SPMT', bytes: bytesOf(c.materials) },
    { tag: 'BZCO', bytes: bytesOf(c.bezierCo) },
    { tag: 'BZHL', bytes: bytesOf(c.bezierLeft) },
    { tag: 'BZHR', bytes: bytesOf(c.bezierRight) },
    { tag: 'BZHT', bytes: bytesOf(c.bezierHandleTypes) },
    { tag: 'BZRA', bytes: bytesOf(c.bezierRadius) },
    { tag: 'BZTL', bytes: bytesOf(c.bezierTilt) },
    { tag: 'PTCO', bytes: bytesOf(c.pointCo) },
    { tag: 'PTRA', bytes: bytesOf(c.pointRadius) },
    { tag: 'PTTL', bytes: bytesOf(c.pointTilt) },
  ]
}

/** [Bézier points, other points] over all splines. */
export function pointTotals(c: Pick<CurveGeometry, 'types' | 'counts'>): [number, number] {
  let pb = 0
  let pn = 0
  for (let i = 0; i < c.types.length; i++) {
    if (c.types[i] === 1) pb += c.counts[i]!
    else pn += c.counts[i]!
  }
  return [pb, pn]
}

export function readCurve(c: Container): CurveGeometry {
  const [S, PB, PN] = header(c, 'CURV', 3) as [number, number, number]
  const g: CurveGeometry = {
    kind: 'CURVE',
    types: arrayOf(c, 'SPTY', Uint8Array, S, true),
    counts: arrayOf(c, 'SPCT', Uint32Array, S, true),
    flags: arrayOf(c, 'SPFL', Uint8Array, S, true),
    orders: arrayOf(c, 'SPOR', Uint32Array, S, true),
    resolutions: arrayOf(c, 'SPRS', Uint32Array, S, true),
    materials: arrayOf(c, 'SPMT', Uint32Array, S, true),
    bezierCo: arrayOf(c, 'BZCO', Float32Array, PB * 3, true),
    bezierLeft: arrayOf(c, 'BZHL', Float32Array, PB * 3, true),
    bezierRight: arrayOf(c, 'BZHR', Float32Array, PB * 3, true),
    bezierHandleTypes: arrayOf(c, 'BZHT', Uint8Array, PB * 2, true),
    bezierRadius: arrayOf(c, 'BZRA', Float32Array, PB, true),
    bezierTilt: arrayOf(c, 'BZTL', Float32Array, PB, true),
    pointCo: arrayOf(c, 'PTCO', Float32Array, PN * 4, true),
    pointRadius: arrayOf(c, 'PTRA', Float32Array, PN, true),
    pointTilt: arrayOf(c, 'PTTL', Float32Array, PN, true),
  }
  checkCurve(g)
  return g
}

export function checkCurve(g: CurveGeometry): void {
  const S = g.types.length
  for (let i = 0; i < S; i++) {
    if (g.types[i]! >= SPLINE_TYPES.length) fail(`spline ${i}: type ${g.types[i]} is unknown (0 poly, 1 Bézier, 2 NURBS)`)
    if (g.counts[i]! < 1) fail(`spline ${i} has no points`)
    if (g.flags[i]! > 15) fail(`spline ${i}: unknown flags ${g.flags[i]}`)
    if (g.orders[i]! < 2 || g.orders[i]! > 64) fail(`spline ${i}: order ${g.orders[i]} is outside 2..64`)
    if (g.resolutions[i]! < 1 || g.resolutions[i]! > 1024) fail(`spline ${i}: resolution ${g.resolutions[i]} is outside 1..1024`)
    if (g.materials[i]! > 32767) fail(`spline ${i}: material slot ${g.materials[i]} is out of range`)
  }
  const [pb, pn] = pointTotals(g)
  if (g.bezierCo.length !== pb * 3 || g.pointCo.length !== pn * 4) fail(`the splines' point counts (${pb} Bézier, ${pn} other) do not match the points present`)
  for (let i = 0; i < g.bezierHandleTypes.length; i++) if (g.bezierHandleTypes[i]! >= HANDLE_TYPES.length) fail(`Bézier handle ${i}: type ${g.bezierHandleTypes[i]} is unknown`)
  for (const [a, what] of [[g.bezierCo, 'Bézier point'], [g.bezierLeft, 'left handle'], [g.bezierRight, 'right handle'], [g.bezierRadius, 'Bézier radius'], [g.bezierTilt, 'Bézier tilt'], [g.pointCo, 'point'], [g.pointRadius, 'point radius'], [g.pointTilt, 'point tilt']] as const) {
    finite(a, what)
  }
}
