/**
 * `[D4]` in the projection: one row per version of a data block, its geometry
 * summarized and its bytes read back from the log at any past position, also
 * after the live doc has released them; a reference whose chunks arrive later
 * is pending, then complete; foreign values in data blocks are rejected rows.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CHUNK_BYTES, SceneDoc, decodeGeometry, encodeGeometry, geometryHash } from '../../src/crdt/index.js'
import { Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { TimeTravel } from '../../src/projection/time-travel.js'
import { gridMesh, plain } from '../helpers/geometry-arb.js'
import { checkProperty } from '../helpers/prop.js'
import { memoryLog } from '../helpers/projection-fixture.js'

async function project(updates: Uint8Array[], client = 1) {
  const log = memoryLog()
  const db = openDatabase(':memory:')
  for (const update of updates) await log.append('r', [{ update, origin: { client, user: 'ann' } }])
  await new Projector(log, db, { snapshotEvery: 0 }).catchUp()
  return { log, db, tt: new TimeTravel(db) }
}

function recording(): { scene: SceneDoc; updates: Uint8Array[] } {
  const scene = new SceneDoc()
  const updates: Uint8Array[] = []
  scene.doc.on('update', (u: Uint8Array) => updates.push(u))
  return { scene, updates }
}

describe('data blocks in the projection', () => {
  it('[D4] each version of a mesh is a row with hash, counts and bounds; its bytes at any past position come back from the log, after the doc released them', async () => {
    const { scene, updates } = recording()
    const v1 = encodeGeometry(gridMesh(300)) // ~9 MB, 9 chunks
    const v2 = encodeGeometry(gridMesh(40, true, 1))
    scene.upsertObject('o', { name: 'Grid', type: 'MESH' })
    const r1 = scene.putGeometry(v1)
    scene.transact(() => {
      scene.upsertData('m', { kind: 'MESH', name: 'Grid', settings: { use_auto_smooth: true }, geometry: r1 })
      scene.setObjectRefs('o', { data: 'm' })
    })
    const atV1 = updates.length
    const r2 = scene.putGeometry(v2)
    scene.transact(() => {
      scene.upsertData('m', { kind: 'MESH', name: 'Grid', geometry: r2 })
      scene.releaseGeometry(r1.hash)
    })
    scene.upsertData('m', { kind: 'MESH', name: 'Grid (renamed)' })
    expect(scene.geometryBytes(r1).ok).toBe(false) // gone from the live doc
    const { log, tt } = await project(updates)
    const versions = tt.content.versions(tt.roomId('r')!, 'm', 0, tt.head())
    expect(versions.map((v) => [v.seq, v.name, v.geometry?.hash])).toEqual([
      [atV1, 'Grid', r1.hash],
      [updates.length - 1, 'Grid', r2.hash],
      [updates.length, 'Grid (renamed)', r2.hash],
    ])
    expect(versions[0]!.geometry).toMatchObject({ pending: false, chunks: Math.ceil(v1.length / CHUNK_BYTES), counts: { vertices: 301 * 301, faces: 300 * 300, loops: 4 * 300 * 300, uvLayers: 1 } })
    expect(versions[0]!.geometry!.bounds!.min.slice(0, 2)).toEqual([0, 0])
    expect(versions[0]!.user).toBe('ann')
    // scene_at: the object's data id and that data block's version at each point.
    expect(tt.sceneAt('r', { seq: atV1 })[0]).toMatchObject({ data: 'm', dataSeq: atV1 })
    expect(tt.sceneAt('r')[0]).toMatchObject({ data: 'm', dataSeq: updates.length })
    const old = tt.dataAt('r', 'm', { seq: atV1 + 1 })!
    expect(old.seq).toBe(atV1)
    const bytes = await tt.content.geometryBytes(log, tt.roomId('r')!, old)
    expect(geometryHash(bytes)).toBe(r1.hash)
    expect(plain(decodeGeometry(bytes))).toEqual(plain(gridMesh(300)))
    expect(tt.dataAt('r', 'm', { seq: atV1 - 1 })).toBeNull()
    expect(tt.diff('r', { seq: atV1 }, { seq: updates.length }).changed).toEqual([{ id: 'o', changes: [{ field: 'data.version', before: atV1, after: updates.length }] }])
    await log.close()
  })

  it('[D4] a reference written before its chunks (a foreign writer) is pending, then a complete version once the last chunk is in', async () => {
    const writer = new SceneDoc()
    const chunkUpdates: Uint8Array[] = []
    writer.doc.on('update', (u: Uint8Array) => chunkUpdates.push(u))
    const bytes = encodeGeometry(gridMesh(200))
    const ref = writer.putGeometry(bytes)
    // The same chunks, but the reference first: a client we did not write.
    const foreign = new SceneDoc()
    const updates: Uint8Array[] = []
    foreign.doc.on('update', (u: Uint8Array) => updates.push(u))
    foreign.upsertData('m', { kind: 'MESH', name: 'Late', geometry: ref })
    for (const u of chunkUpdates) Y.applyUpdate(foreign.doc, u)
    const { log, tt } = await project(updates)
    const versions = tt.content.versions(tt.roomId('r')!, 'm', 0, tt.head())
    expect(versions.map((v) => [v.seq, v.geometry!.pending])).toEqual([[1, true], [updates.length, false]])
    expect(versions[1]!.geometry!.counts!.vertices).toBe(201 * 201)
    await expect(tt.content.geometryBytes(log, tt.roomId('r')!, versions[0]!)).rejects.toThrow(/not complete yet/)
    expect(geometryHash(await tt.content.geometryBytes(log, tt.roomId('r')!, versions[1]!))).toBe(ref.hash)
    await log.close()
  })

  it('[P4] foreign values in data blocks, collections and the scene are rejected with their reason; valid ones project', () =>
    checkProperty(
      'P4 foreign data values',
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('kind', 'name', 'geometry', 'energy', 'color', 'made_up'), fc.jsonValue()), { minLength: 1, maxLength: 6 }),
        fc.jsonValue(),
        async (writes, camera) => {
          const { scene, updates } = recording()
          scene.upsertData('l', { kind: 'LIGHT', name: 'Lamp', settings: { energy: 10 } })
          scene.transact(() => {
            const m = scene.dataBlocks.get('l')!
            for (const [k, v] of writes) m.set(k, v)
            scene.sceneMap.set('camera', camera)
            const c = new Y.Map<unknown>()
            c.set('name', 5)
            c.set('hide_render', 'yes')
            scene.collectionMaps.set('c', c)
          })
          scene.upsertData('l2', { kind: 'LIGHT', name: 'After' })
          const { log, db, tt } = await project(updates)
          expect(tt.contentAt('r').data.find((d) => d.id === 'l2')?.name).toBe('After')
          const rejected = db.prepare('SELECT key, reason FROM rejected').all() as Array<{ key: string; reason: string }>
          expect(rejected.every((r) => r.reason.length > 0)).toBe(true)
          expect(rejected.map((r) => r.key)).toEqual(expect.arrayContaining(['collection.name', 'collection.hide_render']))
          await log.close()
        },
      ),
      { numRuns: 40 },
    ))
})
