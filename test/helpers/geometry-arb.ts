/**
 * Random geometry for properties and benchmarks: meshes whose faces are random
 * polygons over random vertices (edges derived from the faces, plus loose ones),
 * with optional UV layers, smooth flags, material indices and sharp edges;
 * armatures with random trees of bones; curves with Bézier, poly and NURBS splines.
 */
import fc from 'fast-check'
import type { ArmatureGeometry, CurveGeometry, Geometry, MeshGeometry } from '../../src/crdt/index.js'

const f32 = fc.float({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true })

/** Builds a valid mesh from vertex positions and faces given as vertex lists. */
export function meshFrom(positions: number[], faces: number[][], opts: { looseEdges?: Array<[number, number]>; uvLayers?: string[]; smooth?: boolean[]; materials?: number[]; sharp?: (e: number) => boolean; uvSeed?: number } = {}): MeshGeometry {
  const edgeIndex = new Map<string, number>()
  const edges: number[] = []
  const edgeOf = (a: number, b: number) => {
    const k = a < b ? `${a},${b}` : `${b},${a}`
    let e = edgeIndex.get(k)
    if (e === undefined) {
      e = edges.length / 2
      edgeIndex.set(k, e)
      edges.push(a, b)
    }
    return e
  }
  const loopVertices: number[] = []
  const loopEdges: number[] = []
  const starts: number[] = []
  const sizes: number[] = []
  for (const f of faces) {
    starts.push(loopVertices.length)
    sizes.push(f.length)
    f.forEach((v, i) => {
      loopVertices.push(v)
      loopEdges.push(edgeOf(v, f[(i + 1) % f.length]!))
    })
  }
  for (const [a, b] of opts.looseEdges ?? []) if (a !== b) edgeOf(a, b)
  const L = loopVertices.length
  const E = edges.length / 2
  let seed = opts.uvSeed ?? 1
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
  return {
    kind: 'MESH',
    positions: new Float32Array(positions),
    edges: new Uint32Array(edges),
    loopVertices: new Uint32Array(loopVertices),
    loopEdges: new Uint32Array(loopEdges),
    faceStarts: new Uint32Array(starts),
    faceSizes: new Uint32Array(sizes),
    smooth: opts.smooth ? new Uint8Array(opts.smooth.map(Number)) : null,
    materialIndices: opts.materials ? new Uint32Array(opts.materials) : null,
    sharpEdges: opts.sharp ? new Uint8Array(Array.from({ length: E }, (_, e) => Number(opts.sharp!(e)))) : null,
    uvLayers: (opts.uvLayers ?? []).map((name) => ({ name, uv: new Float32Array(Array.from({ length: L * 2 }, () => Math.fround(rnd()))) })),
    activeUv: 0,
    activeRenderUv: 0,
  }
}

/**
 * A grid of (n+1)² vertices and n² quads, built straight into typed arrays
 * (the benchmark builds a million vertices): the e2e test's and the
 * benchmark's big meshes. `lift` bends it, so edits can change every vertex.
 */
export function gridMesh(n: number, uv = true, lift = 0): MeshGeometry {
  const W = n + 1
  const V = W * W
  const positions = new Float32Array(V * 3)
  for (let y = 0, i = 0; y <= n; y++) for (let x = 0; x <= n; x++, i += 3) {
    positions[i] = x / n
    positions[i + 1] = y / n
    positions[i + 2] = Math.fround(Math.sin(x * 0.1 + lift) * 0.1)
  }
  const H = W * n // horizontal edges: (x, y)–(x+1, y) at y * n + x; vertical: (x, y)–(x, y+1) at H + y * W + x
  const edges = new Uint32Array((H + n * W) * 2)
  for (let y = 0; y <= n; y++) for (let x = 0; x < n; x++) {
    const e = (y * n + x) * 2
    edges[e] = y * W + x
    edges[e + 1] = y * W + x + 1
  }
  for (let y = 0; y < n; y++) for (let x = 0; x <= n; x++) {
    const e = (H + y * W + x) * 2
    edges[e] = y * W + x
    edges[e + 1] = (y + 1) * W + x
  }
  const F = n * n
  const loopVertices = new Uint32Array(F * 4)
  const loopEdges = new Uint32Array(F * 4)
  const faceStarts = new Uint32Array(F)
  const faceSizes = new Uint32Array(F).fill(4)
  for (let y = 0, f = 0; y < n; y++) for (let x = 0; x < n; x++, f++) {
    const a = y * W + x
    const l = f * 4
    faceStarts[f] = l
    loopVertices[l] = a
    loopVertices[l + 1] = a + 1
    loopVertices[l + 2] = a + W + 1
    loopVertices[l + 3] = a + W
    loopEdges[l] = y * n + x
    loopEdges[l + 1] = H + y * W + x + 1
    loopEdges[l + 2] = (y + 1) * n + x
    loopEdges[l + 3] = H + y * W + x
  }
  const uvs = new Float32Array(F * 8)
  if (uv) for (let l = 0; l < F * 4; l++) {
    const v = loopVertices[l]!
    uvs[l * 2] = positions[v * 3]!
    uvs[l * 2 + 1] = positions[v * 3 + 1]!
  }
  return {
    kind: 'MESH', positions, edges, loopVertices, loopEdges, faceStarts, faceSizes,
    smooth: null, materialIndices: null, sharpEdges: null,
    uvLayers: uv ? [{ name: 'UVMap', uv: uvs }] : [], activeUv: 0, activeRenderUv: 0,
  }
}

export const meshArb: fc.Arbitrary<MeshGeometry> = fc.integer({ min: 3, max: 40 }).chain((V) =>
  fc
    .record({
      positions: fc.array(f32, { minLength: V * 3, maxLength: V * 3 }),
      faces: fc.array(fc.uniqueArray(fc.nat(V - 1), { minLength: 3, maxLength: Math.min(V, 6) }), { maxLength: 30 }),
      loose: fc.array(fc.tuple(fc.nat(V - 1), fc.nat(V - 1)), { maxLength: 4 }),
      uvLayers: fc.uniqueArray(fc.constantFrom('UVMap', 'Lightmap', 'Détail', 'uv2'), { maxLength: 3 }),
      smooth: fc.option(fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), { nil: undefined }),
      materials: fc.option(fc.array(fc.nat(7), { minLength: 30, maxLength: 30 }), { nil: undefined }),
      sharp: fc.option(fc.integer({ min: 2, max: 5 }), { nil: undefined }),
      uvSeed: fc.nat(),
    })
    .map((r) => {
      const F = r.faces.length
      const m = meshFrom(r.positions, r.faces, {
        looseEdges: r.loose,
        uvLayers: r.uvLayers,
        ...(r.smooth ? { smooth: r.smooth.slice(0, F) } : {}),
        ...(r.materials ? { materials: r.materials.slice(0, F) } : {}),
        ...(r.sharp ? { sharp: (e: number) => e % r.sharp! === 0 } : {}),
        uvSeed: r.uvSeed,
      })
      if (m.uvLayers.length > 1) m.activeRenderUv = m.uvLayers.length - 1
      return m
    }),
)

export const armatureArb: fc.Arbitrary<ArmatureGeometry> = fc.integer({ min: 0, max: 12 }).chain((n) =>
  fc
    .record({
      parents: fc.array(fc.nat(), { minLength: n, maxLength: n }),
      points: fc.array(f32, { minLength: n * 7, maxLength: n * 7 }),
      flags: fc.array(fc.nat(3), { minLength: n, maxLength: n }),
    })
    .map(({ parents, points, flags }) => {
      const par = parents.map((p, i) => (i === 0 || p % 3 === 0 ? -1 : p % i))
      return {
        kind: 'ARMATURE' as const,
        names: Array.from({ length: n }, (_, i) => (i % 2 ? `bone.${i}` : `Knochen_${i}`)),
        parents: new Int32Array(par),
        heads: new Float32Array(points.slice(0, n * 3)),
        tails: new Float32Array(points.slice(n * 3, n * 6)),
        rolls: new Float32Array(points.slice(n * 6, n * 7)),
        flags: new Uint8Array(flags.map((f, i) => (par[i] === -1 ? f & 2 : f))),
      }
    }),
)

export const curveArb: fc.Arbitrary<CurveGeometry> = fc
  .array(fc.record({ type: fc.nat(2), count: fc.integer({ min: 1, max: 6 }), flags: fc.nat(15), order: fc.integer({ min: 2, max: 6 }), res: fc.integer({ min: 1, max: 64 }), mat: fc.nat(3) }), { maxLength: 5 })
  .chain((splines) => {
    const pb = splines.filter((s) => s.type === 1).reduce((a, s) => a + s.count, 0)
    const pn = splines.filter((s) => s.type !== 1).reduce((a, s) => a + s.count, 0)
    return fc.record({ b: fc.array(f32, { minLength: pb * 11, maxLength: pb * 11 }), p: fc.array(f32, { minLength: pn * 6, maxLength: pn * 6 }), ht: fc.array(fc.nat(3), { minLength: pb * 2, maxLength: pb * 2 }) }).map(({ b, p, ht }) => ({
      kind: 'CURVE' as const,
      types: new Uint8Array(splines.map((s) => s.type)),
      counts: new Uint32Array(splines.map((s) => s.count)),
      flags: new Uint8Array(splines.map((s) => s.flags)),
      orders: new Uint32Array(splines.map((s) => s.order)),
      resolutions: new Uint32Array(splines.map((s) => s.res)),
      materials: new Uint32Array(splines.map((s) => s.mat)),
      bezierCo: new Float32Array(b.slice(0, pb * 3)),
      bezierLeft: new Float32Array(b.slice(pb * 3, pb * 6)),
      bezierRight: new Float32Array(b.slice(pb * 6, pb * 9)),
      bezierHandleTypes: new Uint8Array(ht),
      bezierRadius: new Float32Array(b.slice(pb * 9, pb * 10)),
      bezierTilt: new Float32Array(b.slice(pb * 10, pb * 11)),
      pointCo: new Float32Array(p.slice(0, pn * 4)),
      pointRadius: new Float32Array(p.slice(pn * 4, pn * 5)),
      pointTilt: new Float32Array(p.slice(pn * 5, pn * 6)),
    }))
  })

export const geometryArb: fc.Arbitrary<Geometry> = fc.oneof({ arbitrary: meshArb, weight: 3 }, { arbitrary: armatureArb, weight: 1 }, { arbitrary: curveArb, weight: 1 })

/** Plain arrays of every field, for comparing decoded geometry with what was encoded. */
export function plain(g: Geometry): Record<string, unknown> {
  const optional = new Set(['smooth', 'materialIndices', 'sharpEdges'])
  return Object.fromEntries(
    Object.entries(g).map(([k, v]) => [k, optional.has(k) && (v === null || (v as Uint8Array).every((x) => x === 0)) ? null : ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : Array.isArray(v) ? v.map((x) => (x && typeof x === 'object' && 'uv' in x ? { name: x.name, uv: Array.from(x.uv) } : x)) : v]),
  )
}
