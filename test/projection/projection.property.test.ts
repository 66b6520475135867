import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CRASH_POINTS, type CrashPoint, Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { TimeTravel } from '../../src/projection/time-travel.js'
import { checkProperty } from '../helpers/prop.js'
import { ROOMS, appendAll, dumpTables, memoryLog, produce, scriptArb } from '../helpers/projection-fixture.js'

async function rebuild(log: ReturnType<typeof memoryLog>) {
  const db = openDatabase(':memory:')
  await new Projector(log, db, { batchSize: 1000, snapshotEvery: 0 }).catchUp()
  return db
}

class Crash extends Error {}

describe('projection', () => {
  it('[P1] incremental projection, interleaved with appends in random batch sizes, equals a rebuild over the same prefix, row for row', () =>
    checkProperty(
      'P1 incremental == rebuild',
      fc.asyncProperty(scriptArb, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 10 }), async (steps, sizes) => {
        const produced = produce(steps)
        const log = memoryLog()
        const db = openDatabase(':memory:')
        let i = 0
        let b = 0
        while (i < produced.length) {
          const n = sizes[b % sizes.length]!
          await appendAll(log, produced.slice(i, i + n))
          i += n
          const p = new Projector(log, db, { batchSize: sizes[(b + 1) % sizes.length]!, snapshotEvery: 4, snapshotTailRatio: 0 })
          await p.step() // leave some behind: the next round catches up from the committed cursor
          b++
        }
        await new Projector(log, db, { snapshotEvery: 4, snapshotTailRatio: 0 }).catchUp()
        expect(dumpTables(db)).toEqual(dumpTables(await rebuild(log)))
        await log.close()
      }),
      { numRuns: 40 },
    ))

  it('[P2] a crash at every point of the projector loop, followed by a restart, leaves no hole and no duplicate row', () =>
    checkProperty(
      'P2 crash points',
      fc.asyncProperty(
        scriptArb,
        fc.array(fc.record({ point: fc.constantFrom(...CRASH_POINTS), after: fc.nat(6) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 7 }),
        async (steps, crashes, batchSize) => {
          const produced = produce(steps)
          const log = memoryLog()
          await appendAll(log, produced)
          const db = openDatabase(':memory:')
          let restarts = 0
          for (const c of crashes) {
            let seen = 0
            const hook = (point: CrashPoint) => {
              if (point === c.point && seen++ === c.after) throw new Crash(point)
            }
            try {
              await new Projector(log, db, { batchSize, snapshotEvery: 3, snapshotTailRatio: 0, crashHook: hook }).catchUp()
            } catch (e) {
              if (!(e instanceof Crash)) throw e
              restarts++
            }
          }
          await new Projector(log, db, { batchSize, snapshotEvery: 3, snapshotTailRatio: 0 }).catchUp()
          expect(dumpTables(db)).toEqual(dumpTables(await rebuild(log)))
          expect(restarts).toBeGreaterThanOrEqual(0)
          await log.close()
        },
      ),
      { numRuns: 40 },
    ))

  it('[P2] every crash point is reached and recovered from, with data blocks, geometry, collections and the camera (regression: each point once, in order)', async () => {
    const produced = produce([
      { t: 'edit', room: 0, w: 0, op: { kind: 'create', id: 'a', name: 'A', type: 'ARMATURE' } },
      { t: 'edit', room: 0, w: 0, op: { kind: 'bone', id: 'a', bone: 'root', loc: [1, 2, 3] } },
      { t: 'edit', room: 1, w: 1, op: { kind: 'create', id: 'b', name: 'B', type: 'MESH' } },
      { t: 'edit', room: 0, w: 0, op: { kind: 'delete', id: 'a' } },
      // Scene content: a mesh's geometry twice (its second value released the first), links, a collection, the camera.
      { t: 'edit', room: 1, w: 1, op: { kind: 'geometry', data: 'd-mesh-1', g: 0 } },
      { t: 'edit', room: 1, w: 1, op: { kind: 'link', id: 'b', data: 'd-mesh-1', materials: ['d-mat', null], collections: ['c-props'] } },
      { t: 'edit', room: 1, w: 1, op: { kind: 'collection', col: 'c-props', name: 'Props', parent: null, hideRender: true } },
      { t: 'edit', room: 1, w: 1, op: { kind: 'geometry', data: 'd-mesh-1', g: 1 } },
      { t: 'edit', room: 1, w: 1, op: { kind: 'camera', id: 'b' } },
    ])
    const log = memoryLog()
    await appendAll(log, produced)
    const db = openDatabase(':memory:')
    for (const point of CRASH_POINTS) {
      let hit = false
      await new Projector(log, db, {
        batchSize: 1,
        snapshotEvery: 1, snapshotTailRatio: 0,
        crashHook: (p) => {
          if (p === point && !hit) {
            hit = true
            throw new Crash(p)
          }
        },
      })
        .catchUp()
        .catch((e: unknown) => {
          if (!(e instanceof Crash)) throw e
        })
      expect(hit).toBe(true)
    }
    await new Projector(log, db).catchUp()
    const tables = dumpTables(db)
    expect(tables).toEqual(dumpTables(await rebuild(log)))
    expect(tables.data_versions!.length).toBe(2)
    expect(tables.geometry_chunks!.length).toBe(2)
    expect(tables.collections!.length).toBe(1)
    expect(tables.scene_history!.length).toBe(1)
  })

  it('[P1] [P2] the pipelined projector (Yjs in a worker thread) writes the same rows, also across crashes at every point', () =>
    checkProperty(
      'P1 P2 worker pipeline',
      fc.asyncProperty(
        scriptArb,
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.record({ point: fc.constantFrom(...CRASH_POINTS), after: fc.nat(4) }), { maxLength: 3 }),
        async (steps, batchSize, crashes) => {
          const log = memoryLog()
          await appendAll(log, produce(steps))
          const db = openDatabase(':memory:')
          for (const c of crashes) {
            let seen = 0
            const crashHook = (point: CrashPoint) => {
              if (point === c.point && seen++ === c.after) throw new Crash(point)
            }
            const p = new Projector(log, db, { batchSize, snapshotEvery: 3, snapshotTailRatio: 0, worker: true, crashHook })
            await p.catchUp().catch((e: unknown) => {
              if (!(e instanceof Crash)) throw e
            })
            await p.stop()
          }
          const p = new Projector(log, db, { batchSize, snapshotEvery: 3, snapshotTailRatio: 0, worker: true })
          await p.catchUp()
          await p.stop()
          expect(dumpTables(db)).toEqual(dumpTables(await rebuild(log)))
          await log.close()
        },
      ),
      { numRuns: 15 },
    ))

  it('[P3] scene_at(k) equals the current-state tables as they were after prefix k', () =>
    checkProperty(
      'P3 scene_at',
      fc.asyncProperty(scriptArb, async (steps) => {
        const produced = produce(steps)
        const log = memoryLog()
        await appendAll(log, produced)
        const db = openDatabase(':memory:')
        const p = new Projector(log, db, { batchSize: 1 })
        const tt = new TimeTravel(db)
        const states: Array<Record<string, unknown>> = [Object.fromEntries(ROOMS.map((r) => [r, tt.currentRows(r)]))]
        while ((await p.step()) > 0) states.push(Object.fromEntries(ROOMS.map((r) => [r, tt.currentRows(r)])))
        for (let k = 0; k < states.length; k++) {
          for (const room of ROOMS) expect(tt.sceneRowsAt(room, { seq: k })).toEqual(states[k]![room])
        }
        await log.close()
      }),
      { numRuns: 40 },
    ))
})
