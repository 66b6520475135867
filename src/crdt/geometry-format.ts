/**
 * The heavy part of a data block as bytes, and back (docs/geometry-format.md):
 * a mesh, an armature's bones at rest, or a curve's splines. Encoding is
 * canonical (fixed section order, absent sections for all-default arrays), so
 * equal geometry gives equal bytes and one hash (`[D2]`). Decoding validates
 * everything a foreign client could get wrong and throws GeometryFormatError
 * naming it.
 */
import { type ArmatureGeometry, type CurveGeometry, armatureSections, checkArmature, checkCurve, curveSections, pointTotals, readArmature, readCurve } from './geometry-rig.js'
import { type MeshGeometry, checkMesh, meshSections, readMesh } from './geometry-mesh.js'
import { GeometryFormatError, readContainer, writeContainer } from './geometry-sections.js'
import type { Checked } from './xform.js'

export type Geometry = MeshGeometry | ArmatureGeometry | CurveGeometry
export type { ArmatureGeometry, CurveGeometry, MeshGeometry }
export { GeometryFormatError }

export function encodeGeometry(g: Geometry): Uint8Array {
  switch (g.kind) {
    case 'MESH':
      checkMesh(g)
      return writeContainer('MESH', meshSections(g))
    case 'ARMATURE':
      checkArmature(g)
      return writeContainer('ARMATURE', armatureSections(g))
    case 'CURVE':
      checkCurve(g)
      return writeContainer('CURVE', curveSections(g))
  }
}

/** Decodes and validates; the arrays are views into `bytes` (copied only when misaligned). */
export function decodeGeometry(bytes: Uint8Array): Geometry {
  const c = readContainer(bytes)
  switch (c.kind) {
    case 'MESH': return readMesh(c)
    case 'ARMATURE': return readArmature(c)
    case 'CURVE': return readCurve(c)
  }
}

export function checkGeometry(bytes: Uint8Array): Checked<Geometry> {
  try {
    return { ok: true, value: decodeGeometry(bytes) }
  } catch (e) {
    if (e instanceof GeometryFormatError) return { ok: false, reason: e.message }
    throw e
  }
}

/** What the projection keeps of a version: counts and the axis-aligned bounds of its points. */
export interface GeometrySummary {
  kind: Geometry['kind']
  vertices: number
  edges: number
  faces: number
  loops: number
  uvLayers: number
  bones: number
  splines: number
  points: number
  /** [minX, minY, minZ, maxX, maxY, maxZ], or null with no points. */
  bounds: [number, number, number, number, number, number] | null
}

function bounds(groups: Array<[Float32Array, number]>): GeometrySummary['bounds'] {
  const lo = [Infinity, Infinity, Infinity]
  const hi = [-Infinity, -Infinity, -Infinity]
  let any = false
  for (const [a, stride] of groups) {
    for (let i = 0; i + 2 < a.length; i += stride) {
      any = true
      for (let k = 0; k < 3; k++) {
        const v = a[i + k]!
        if (v < lo[k]!) lo[k] = v
        if (v > hi[k]!) hi[k] = v
      }
    }
  }
  return any ? [lo[0]!, lo[1]!, lo[2]!, hi[0]!, hi[1]!, hi[2]!] : null
}

export function summarize(g: Geometry): GeometrySummary {
  const base = { kind: g.kind, vertices: 0, edges: 0, faces: 0, loops: 0, uvLayers: 0, bones: 0, splines: 0, points: 0 }
  switch (g.kind) {
    case 'MESH':
      return { ...base, vertices: g.positions.length / 3, edges: g.edges.length / 2, faces: g.faceSizes.length, loops: g.loopVertices.length, uvLayers: g.uvLayers.length, bounds: bounds([[g.positions, 3]]) }
    case 'ARMATURE':
      return { ...base, bones: g.names.length, bounds: bounds([[g.heads, 3], [g.tails, 3]]) }
    case 'CURVE': {
      const [pb, pn] = pointTotals(g)
      return { ...base, splines: g.types.length, points: pb + pn, bounds: bounds([[g.bezierCo, 3], [g.pointCo, 4]]) }
    }
  }
}
