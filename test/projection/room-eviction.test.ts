/**
 * The projector holds one Y.Doc per room it has seen. A server that hosts many
 * rooms over its life must not keep them all: idle rooms' docs are dropped and
 * reloaded (snapshot + tail, states from the tables) when they are written
 * again, with the same rows as if they had stayed (`[P1]`).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IDENTITY_XFORM, SceneDoc } from '../../src/crdt/index.js'
import { Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { checkProperty } from '../helpers/prop.js'
import { appendAll, dumpTables, memoryLog, produce, scriptArb } from '../helpers/projection-fixture.js'

async function rebuilt(log: ReturnType<typeof memoryLog>) {
  const db = openDatabase(':memory:')
  await new Projector(log, db, { snapshotEvery: 0 }).catchUp()
  return dumpTables(db)
}

describe('projector memory', () => {
  it('rooms written within the idle time keep their docs, however many there are (no reload per entry)', async () => {
    const log = memoryLog()
    const scenes = Array.from({ length: 5 }, () => new SceneDoc())
    // Five rooms written in turn, one entry each time: each is idle for four batches between its writes.
    for (let step = 0; step < 4; step++) {
      for (let r = 0; r < scenes.length; r++) {
        const ups: Uint8Array[] = []
        const off = (u: Uint8Array) => ups.push(u)
        scenes[r]!.doc.on('update', off)
        scenes[r]!.upsertObject('o', { name: `room ${r}`, type: 'EMPTY', xform: { ...IDENTITY_XFORM, location: [r, step, 0] } })
        scenes[r]!.doc.off('update', off)
        await log.append(`room-${r}`, ups.map((update) => ({ update, origin: { client: scenes[r]!.doc.clientID, user: 'u' } })))
      }
    }
    const db = openDatabase(':memory:')
    const loads: string[] = []
    const readRoom = log.readRoom.bind(log)
    log.readRoom = (room, after, opts) => {
      if (after === '') loads.push(room)
      return readRoom(room, after, opts)
    }
    const p = new Projector(log, db, { batchSize: 1, maxRoomDocs: 2, snapshotEvery: 0 })
    await p.catchUp()
    expect(p.roomDocs).toBe(5)
    // Each room loaded once at most, when first seen (the first one, at the log's start, needs no read).
    expect(loads.length).toBeGreaterThanOrEqual(4)
    expect(new Set(loads).size).toBe(loads.length)
    expect(dumpTables(db)).toEqual(await rebuilt(log))
    await p.stop()
    await log.close()
  })

  for (const worker of [false, true]) {
    it(`[P1] idle rooms' docs are dropped (at most maxRoomDocs held) and rows equal a rebuild${worker ? ' (worker thread)' : ''}`, async () => {
      const log = memoryLog()
      for (let r = 0; r < 6; r++) {
        const scene = new SceneDoc()
        const ups: Uint8Array[] = []
        scene.doc.on('update', (u: Uint8Array) => ups.push(u))
        for (let i = 0; i < 3; i++) scene.upsertObject('o', { name: `room ${r}`, type: 'EMPTY', xform: { ...IDENTITY_XFORM, location: [r, i, 0] } })
        await log.append(`room-${r}`, ups.map((update) => ({ update, origin: { client: scene.doc.clientID, user: 'u' } })))
      }
      // Room 0 again, long after it went idle: reloaded from the log and the tables.
      const back = new SceneDoc()
      const ups: Uint8Array[] = []
      back.doc.on('update', (u: Uint8Array) => ups.push(u))
      back.upsertObject('late', { name: 'late', type: 'EMPTY' })
      await log.append('room-0', ups.map((update) => ({ update, origin: { client: back.doc.clientID, user: 'u' } })))
      const db = openDatabase(':memory:')
      const p = new Projector(log, db, { batchSize: 1, maxRoomDocs: 2, evictIdleMs: 0, worker })
      let most = 0
      p.onProjected(() => (most = Math.max(most, p.roomDocs)))
      expect(await p.catchUp()).toBe(19)
      await p.stop()
      expect(most).toBeGreaterThan(0)
      expect(most).toBeLessThanOrEqual(2)
      expect(dumpTables(db)).toEqual(await rebuilt(log))
      await log.close()
    })
  }

  it('[P1] with a room-doc limit of one, incremental projection in random batch sizes equals a rebuild', () =>
    checkProperty(
      'P1 eviction',
      fc.asyncProperty(scriptArb, fc.integer({ min: 1, max: 5 }), fc.boolean(), async (steps, batchSize, worker) => {
        const log = memoryLog()
        await appendAll(log, produce(steps))
        const db = openDatabase(':memory:')
        const p = new Projector(log, db, { batchSize, snapshotEvery: 3, snapshotTailRatio: 0, maxRoomDocs: 1, evictIdleMs: 0, worker })
        await p.catchUp()
        await p.stop()
        expect(dumpTables(db)).toEqual(await rebuilt(log))
        await log.close()
      }),
      { numRuns: 12 },
    ))
})
