import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { GeometryFormatError, checkGeometry, decodeGeometry, encodeGeometry, geometryHash, summarize } from '../../src/crdt/index.js'
import { checkProperty } from '../helpers/prop.js'
import { geometryArb, gridMesh, meshFrom, plain } from '../helpers/geometry-arb.js'

describe('geometry encoding', () => {
  it('[D1] random meshes, armatures and curves round-trip exactly (float32 equal), and re-encode to the same bytes', () =>
    checkProperty(
      'geometry round trip',
      fc.property(geometryArb, (g) => {
        const bytes = encodeGeometry(g)
        const back = decodeGeometry(bytes)
        expect(plain(back)).toEqual(plain(g))
        expect(Buffer.from(encodeGeometry(back)).equals(Buffer.from(bytes))).toBe(true)
        // A copy at an odd offset decodes the same (readers copy misaligned input).
        const odd = new Uint8Array(bytes.length + 1)
        odd.set(bytes, 1)
        expect(plain(decodeGeometry(odd.subarray(1)))).toEqual(plain(g))
      }),
      { numRuns: 200 },
    ))

  it('[D2] equal geometry encodes to equal bytes, so one hash; any change gives another', () => {
    const a = gridMesh(8)
    const b = gridMesh(8)
    expect(geometryHash(encodeGeometry(a))).toBe(geometryHash(encodeGeometry(b)))
    b.positions[5] = Math.fround(b.positions[5]! + 0.5)
    expect(geometryHash(encodeGeometry(a))).not.toBe(geometryHash(encodeGeometry(b)))
  })

  it('corrupted or truncated bytes are refused with a GeometryFormatError naming the problem, never another error', () =>
    checkProperty(
      'geometry corruption',
      fc.property(geometryArb, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), fc.option(fc.nat(), { nil: undefined }), (g, flips, cut) => {
        const bytes = encodeGeometry(g).slice()
        for (const [at, v] of flips) bytes[at % bytes.length] = v
        const input = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length)
        try {
          const back = decodeGeometry(input)
          // What decodes must be valid: encoding it again passes the same checks.
          expect(() => encodeGeometry(back)).not.toThrow()
        } catch (e) {
          expect(e).toBeInstanceOf(GeometryFormatError)
          expect((e as Error).message.length).toBeGreaterThan(5)
        }
      }),
      { numRuns: 300 },
    ))

  it('refuses indices past the arrays, faces of two corners, loops whose edge does not join them, and unknown versions', () => {
    const ok = meshFrom([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0], [[0, 1, 3, 2]])
    const bad = (mutate: (m: ReturnType<typeof meshFrom>) => void) => {
      const m = meshFrom([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0], [[0, 1, 3, 2]])
      mutate(m)
      return () => encodeGeometry(m)
    }
    expect(() => decodeGeometry(encodeGeometry(ok))).not.toThrow()
    expect(bad((m) => (m.loopVertices[2] = 9))).toThrow(/loop 2 names vertex 9, but the mesh has 4 vertices/)
    expect(bad((m) => (m.edges[0] = 4))).toThrow(/edge 0 names vertex 4/)
    expect(bad((m) => (m.loopEdges[0] = 2))).toThrow(/loop 0: edge 2 does not join vertices 0 and 1/)
    expect(bad((m) => (m.positions[1] = NaN))).toThrow(/vertex position\[1\] is not a finite number/)
    const two = meshFrom([0, 0, 0, 1, 0, 0], [])
    two.faceStarts = new Uint32Array([0])
    two.faceSizes = new Uint32Array([2])
    two.loopVertices = new Uint32Array([0, 1])
    two.loopEdges = new Uint32Array([0, 0])
    two.edges = new Uint32Array([0, 1])
    expect(() => encodeGeometry(two)).toThrow(/face 0 has 2 corners/)
    const bytes = encodeGeometry(ok)
    const v2 = bytes.slice()
    v2[4] = 2
    expect(checkGeometry(v2)).toEqual({ ok: false, reason: 'geometry version 2 is not supported (this reader knows version 1)' })
    expect(checkGeometry(new TextEncoder().encode('not geometry at all'))).toMatchObject({ ok: false, reason: expect.stringMatching(/magic/) })
  })

  it('summarize gives counts and bounds', () => {
    const s = summarize(decodeGeometry(encodeGeometry(gridMesh(4))))
    expect(s).toMatchObject({ kind: 'MESH', vertices: 25, faces: 16, loops: 64, edges: 40, uvLayers: 1 })
    expect(s.bounds!.slice(0, 2)).toEqual([0, 0])
    expect(s.bounds!.slice(3, 5)).toEqual([1, 1])
  })
})
