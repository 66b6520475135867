/**
 * The web view's reader of the geometry encoding (docs/geometry-format.md),
 * against values written from the document's tables: a cube's triangles,
 * bones at rest, and the refusals the document asks a reader for.
 */
import { describe, expect, it } from 'vitest'
import { GeometryError, decodeGeometry } from '../../web/src/geometry-decode.js'
import { CUBE, meshBytes, rigBytes } from './geometry-bytes.js'

describe('geometry reader', () => {
  it('reads a mesh into triangles: a fan per face, every corner at its vertex as float32', () => {
    const m = decodeGeometry(meshBytes(CUBE))
    expect(m?.kind).toBe('mesh')
    if (m?.kind !== 'mesh') return
    expect([m.vertices, m.faces]).toEqual([8, 6])
    expect(m.positions.length).toBe(6 * 2 * 9)
    // The first face (0, 3, 2, 1) fans into (0, 3, 2) and (0, 2, 1).
    expect([...m.positions.subarray(0, 18)]).toEqual([...CUBE.vertices[0]!, ...CUBE.vertices[3]!, ...CUBE.vertices[2]!, ...CUBE.vertices[0]!, ...CUBE.vertices[2]!, ...CUBE.vertices[1]!])
    const pentagon = decodeGeometry(meshBytes({ vertices: [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0.5, 1.5, 0], [0, 1, 0]], faces: [[0, 1, 2, 3, 4]] }))
    expect(pentagon?.kind === 'mesh' && pentagon.positions.length).toBe(3 * 9)
  })

  it('reads bones at rest with their parents', () => {
    const r = decodeGeometry(rigBytes([
      { name: 'root', parent: -1, head: [0, 0, 0], tail: [0, 0, 1] },
      { name: 'spine', parent: 0, head: [0, 0, 1], tail: [0, 0, 2], roll: 0.5 },
    ]))
    expect(r).toEqual({
      kind: 'armature',
      bones: [
        { name: 'root', parent: -1, head: [0, 0, 0], tail: [0, 0, 1], roll: 0 },
        { name: 'spine', parent: 0, head: [0, 0, 1], tail: [0, 0, 2], roll: Math.fround(0.5) },
      ],
    })
  })

  it('refuses another version, a truncated value, an index out of range, and a child before its parent, saying which', () => {
    expect(() => decodeGeometry(meshBytes(CUBE, { version: 2 }))).toThrow('geometry version 2 is not one this page reads (1)')
    expect(() => decodeGeometry(meshBytes(CUBE, { truncate: 8 }))).toThrow(/runs past the end/)
    expect(() => decodeGeometry(meshBytes({ vertices: [[0, 0, 0], [1, 0, 0]], faces: [[0, 1, 5]] }))).toThrow('loop 2 names vertex 5 of 2')
    expect(() => decodeGeometry(rigBytes([{ name: 'a', parent: 1, head: [0, 0, 0], tail: [0, 1, 0] }, { name: 'b', parent: -1, head: [0, 0, 0], tail: [0, 1, 0] }]))).toThrow(GeometryError)
    expect(() => decodeGeometry(new TextEncoder().encode('not geometry at all'))).toThrow('not a geometry value: it does not start with SGEO')
  })
})
