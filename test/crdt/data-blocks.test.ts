import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CHUNK_BYTES, type Problem, SceneDoc, SceneInputError, encodeGeometry, geometryHash } from '../../src/crdt/index.js'
import { gridMesh } from '../helpers/geometry-arb.js'

const LIGHT = 'a1b2c3d4-0000-4000-8000-00000000000a'
const MESH = 'a1b2c3d4-0000-4000-8000-00000000000b'

describe('data blocks in the doc', () => {
  it('a light\'s settings round-trip as float32, and only changed settings are rewritten', () => {
    const s = new SceneDoc()
    s.upsertData(LIGHT, { kind: 'LIGHT', name: 'Spot', settings: { type: 'SPOT', energy: 5000, color: [0, 0.2, 1], spot_size: 0.785398, use_shadow: true } })
    expect(s.readData(LIGHT)).toEqual({
      id: LIGHT, kind: 'LIGHT', name: 'Spot', geometry: null,
      settings: { type: 'SPOT', energy: 5000, color: [0, Math.fround(0.2), 1], spot_size: Math.fround(0.785398), use_shadow: true },
    })
    const updates: Uint8Array[] = []
    s.doc.on('update', (u: Uint8Array) => updates.push(u))
    s.upsertData(LIGHT, { kind: 'LIGHT', name: 'Spot', settings: { energy: 5000, color: [0, 0.2, 1] } })
    expect(updates).toEqual([])
    s.upsertData(LIGHT, { kind: 'LIGHT', name: 'Spot', settings: { energy: 10 } })
    expect(updates.length).toBe(1)
    expect(s.readData(LIGHT)!.settings.energy).toBe(10)
  })

  it('bad input from a caller throws a SceneInputError naming the setting; nothing is written', () => {
    const s = new SceneDoc()
    expect(() => s.upsertData(LIGHT, { kind: 'LIGHT', name: 'L', settings: { energy: 'lots' as unknown as number } })).toThrow(SceneInputError)
    expect(() => s.upsertData(LIGHT, { kind: 'LIGHT', name: 'L', settings: { color: [1, 1] } })).toThrow(/setting color must be 3 finite numbers/)
    expect(() => s.upsertData(LIGHT, { kind: 'light', name: 'L' })).toThrow(/kind must be a data-block kind/)
    expect(s.dataBlocks.size).toBe(0)
  })

  it('a foreign client\'s wrong values are reported as problems and left out, never thrown', () => {
    const s = new SceneDoc()
    s.transact(() => {
      const m = new Y.Map<unknown>()
      m.set('kind', 'CAMERA')
      m.set('name', 'Cam')
      m.set('lens', 'long')
      m.set('clip_end', 1000)
      m.set('geometry', { hash: 'xyz', size: 1, chunks: 1 })
      m.set('future_setting', [1, 2, 3])
      s.dataBlocks.set('cam', m)
      s.dataBlocks.set('junk', 42 as unknown as Y.Map<unknown>)
    })
    const problems: Problem[] = []
    const all = s.readAllData(problems)
    expect(all).toEqual([{ id: 'cam', kind: 'CAMERA', name: 'Cam', geometry: null, settings: { clip_end: 1000, future_setting: [1, 2, 3] } }])
    expect(problems.map((p) => `${p.objectId} ${p.key}`).sort()).toEqual(['cam data.geometry', 'cam data.lens', 'junk data'])
    expect(problems.find((p) => p.key === 'data.lens')!.reason).toMatch(/setting lens must be a finite number/)
  })

  it('[D2] geometry is written as chunks, each its own update of at most one chunk; the same geometry twice writes nothing', () => {
    const s = new SceneDoc()
    const bytes = encodeGeometry(gridMesh(400)) // ~13 MB: 13 chunks
    const updates: Uint8Array[] = []
    s.doc.on('update', (u: Uint8Array) => updates.push(u))
    const ref = s.putGeometry(bytes)
    expect(ref).toEqual({ hash: geometryHash(bytes), size: bytes.length, chunks: Math.ceil(bytes.length / CHUNK_BYTES) })
    expect(updates.length).toBe(ref.chunks)
    for (const u of updates) expect(u.length).toBeLessThan(CHUNK_BYTES + 200)
    updates.length = 0
    expect(s.putGeometry(bytes.slice())).toEqual(ref)
    expect(updates).toEqual([])
    s.upsertData(MESH, { kind: 'MESH', name: 'Grid', geometry: ref })
    const got = s.geometryBytes(s.readData(MESH)!.geometry!)
    expect(got.ok && Buffer.from(got.bytes).equals(Buffer.from(bytes))).toBe(true)
    // Another client receiving the updates assembles the same bytes.
    const peer = new SceneDoc()
    Y.applyUpdate(peer.doc, Y.encodeStateAsUpdate(s.doc))
    const there = peer.geometryBytes(peer.readData(MESH)!.geometry!)
    expect(there.ok && geometryHash(there.bytes)).toBe(ref.hash)
  })

  it('a reference whose chunks are missing or wrong is not assembled, and says why', () => {
    const s = new SceneDoc()
    const bytes = encodeGeometry(gridMesh(300))
    const ref = s.putGeometry(bytes)
    s.transact(() => s.geometry.delete(`${ref.hash}/2`))
    expect(s.geometryBytes(ref)).toEqual({ ok: false, missing: [2] })
    s.transact(() => s.geometry.set(`${ref.hash}/2`, new Uint8Array(CHUNK_BYTES)))
    expect(s.geometryBytes(ref)).toMatchObject({ ok: false, missing: [], reason: expect.stringMatching(/do not hash to that name/) })
    expect(() => s.putGeometry(new Uint8Array([1, 2, 3]))).toThrow(/geometry: geometry must start with a 12-byte header/)
    expect(() => s.transact(() => s.putGeometry(bytes))).toThrow(/outside a transaction/)
  })

  it('[D4] geometry no data block refers to any more is deleted from the live doc and its bytes are garbage-collected', () => {
    const s = new SceneDoc()
    const v1 = encodeGeometry(gridMesh(300))
    const v2 = encodeGeometry(gridMesh(301))
    const r1 = s.putGeometry(v1)
    s.upsertData(MESH, { kind: 'MESH', name: 'M', geometry: r1 })
    s.upsertData('other', { kind: 'MESH', name: 'N', geometry: r1 })
    const r2 = s.putGeometry(v2)
    s.transact(() => {
      s.upsertData(MESH, { kind: 'MESH', name: 'M', geometry: r2 })
      s.releaseGeometry(r1.hash)
    })
    // Still referenced by 'other': kept.
    expect(s.geometryBytes(r1).ok).toBe(true)
    s.transact(() => {
      s.upsertData('other', { kind: 'MESH', name: 'N', geometry: r2 })
      s.releaseGeometry(r1.hash)
    })
    expect(s.geometryBytes(r1)).toMatchObject({ ok: false })
    const size = Y.encodeStateAsUpdate(s.doc).length
    expect(size).toBeLessThan(v2.length + 64 * 1024)
    expect(size).toBeGreaterThan(v2.length)
  })

  it('object links and collections are validated; a foreign wrong value is a problem', () => {
    const s = new SceneDoc()
    s.upsertObject('o', { name: 'Cube', type: 'MESH' })
    s.setObjectRefs('o', { data: MESH, materials: ['m1', null], collections: ['c1', '@scene'] })
    expect(s.read('o')).toMatchObject({ data: MESH, materials: ['m1', null], collections: ['c1', '@scene'] })
    expect(() => s.setObjectRefs('o', { collections: ['c1', 'c1'] })).toThrow(/distinct collection ids/)
    expect(() => s.setObjectRefs('o', { materials: [3 as unknown as string] })).toThrow(/material ids/)
    s.upsertCollection('c1', { name: 'Props', parent: null, flags: { hide_render: true } })
    s.upsertCollection('c2', { name: 'Small', parent: 'c1' })
    expect(() => s.upsertCollection('c2', { parent: 'c2' })).toThrow(/its own parent/)
    expect(() => s.upsertCollection('c2', { flags: { hidden: true } as never })).toThrow(/unknown flag "hidden"/)
    expect(s.readCollections()).toEqual([
      { id: 'c1', name: 'Props', parent: null, flags: { hide_viewport: false, hide_render: true, hide_select: false, exclude: false, hide: false } },
      { id: 'c2', name: 'Small', parent: 'c1', flags: { hide_viewport: false, hide_render: false, hide_select: false, exclude: false, hide: false } },
    ])
    s.setActiveCamera('o')
    expect(s.readSceneSettings()).toEqual({ camera: 'o' })
    s.transact(() => (s.objects.get('o') as Y.Map<unknown>).set('data', 7))
    const problems: Problem[] = []
    expect(s.read('o', problems)!.data).toBe(null)
    expect(problems[0]).toMatchObject({ objectId: 'o', key: 'data', reason: expect.stringMatching(/data must be a data-block id or null/) })
  })
})
