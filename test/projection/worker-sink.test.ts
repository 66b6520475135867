/**
 * With `sinkFile` the projector's worker thread writes each batch itself,
 * through its own connection to the projection file, so the server's event
 * loop runs no projection SQL. The rows must be the ones the in-thread sink
 * writes, and a thread that dies at any moment (even after its commit, before
 * its answer) must leave no hole and no duplicate row.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { START } from '../../src/log/event-log.js'
import { Projector } from '../../src/projection/projector.js'
import { type SqlDatabase, openDatabase } from '../../src/projection/sql.js'
import { checkProperty } from '../helpers/prop.js'
import { appendAll, dumpTables, memoryLog, produce, stepArb } from '../helpers/projection-fixture.js'

/** A fixed script long enough for several batches. */
const longScript = fc.array(stepArb, { minLength: 40, maxLength: 40 })

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

function projectionFile(): { file: string; db: SqlDatabase } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-worker-sink-'))
  const file = path.join(dir, 'projection.sqlite')
  const db = openDatabase(file)
  cleanup.push(() => {
    db.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return { file, db }
}

async function inThread(log: ReturnType<typeof memoryLog>) {
  const db = openDatabase(':memory:')
  await new Projector(log, db, { batchSize: 1000, snapshotEvery: 0 }).catchUp()
  return dumpTables(db)
}

describe('projector: the worker thread writes its own batches (sinkFile)', () => {
  it('[P1] [P2] writes the rows the in-thread sink writes, also when its threads die after committing and before answering', () =>
    checkProperty(
      'P1 P2 worker sink',
      fc.asyncProperty(fc.array(stepArb, { minLength: 20, maxLength: 80 }), fc.integer({ min: 2, max: 6 }), fc.constantFrom(0, 2, 3), async (steps, batchSize, exitAfterWrite) => {
        const log = memoryLog()
        cleanup.push(() => log.close())
        await appendAll(log, produce(steps))
        const { file, db } = projectionFile()
        // 0: no thread dies; n: each thread exits right after committing its n-th batch.
        const p = new Projector(log, db, { batchSize, snapshotEvery: 3, snapshotTailRatio: 0, worker: true, sinkFile: file, workerExitAfterWrite: exitAfterWrite })
        const total = (await log.readFeed(START, { limit: 1_000_000 })).length
        // Each thread that dies is replaced, resuming at what the file holds.
        await p.catchUp()
        await p.stop()
        expect(p.position().seq).toBe(total)
        expect(dumpTables(db)).toEqual(await inThread(log))
      }),
      { numRuns: 6 },
    ))

  it('a write that fails in the thread reaches the projector with its code, commits nothing of the batch, and a later catch-up completes', async () => {
    const log = memoryLog()
    cleanup.push(() => log.close())
    const script = fc.sample(longScript, { numRuns: 1, seed: 14 })[0]!
    const produced = produce(script)
    expect(produced.length).toBeGreaterThan(4)
    await appendAll(log, produced)
    const { file, db } = projectionFile()
    const p = new Projector(log, db, { batchSize: 2, worker: true, sinkFile: file })
    // The trigger lives in the file's schema, so the thread's own connection meets it.
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.seq > 2 BEGIN SELECT RAISE(ABORT, 'no room left for events'); END")
    const failed = await p.catchUp().then(
      () => null,
      (e: Error & { code?: string }) => e,
    )
    expect(failed?.message).toMatch(/no room left for events/)
    expect(failed?.code).toBe('SQLITE_CONSTRAINT_TRIGGER')
    expect(p.position().seq).toBe(2)
    expect((db.prepare('SELECT max(seq) AS s FROM events').get() as { s: number }).s).toBe(2)
    db.exec('DROP TRIGGER refuse')
    await p.catchUp()
    await p.stop()
    expect(dumpTables(db)).toEqual(await inThread(log))
  })

  it('following the log live, each committed batch is heard (onProjected) and the file equals an in-thread projection', async () => {
    const log = memoryLog()
    cleanup.push(() => log.close())
    const { file, db } = projectionFile()
    const p = new Projector(log, db, { worker: true, sinkFile: file, coalesceMs: 1 })
    const heard: number[] = []
    p.onProjected((seq) => heard.push(seq))
    p.start()
    const produced = produce(fc.sample(longScript, { numRuns: 1, seed: 7 })[0]!)
    expect(produced.length).toBeGreaterThan(10)
    for (const part of [produced.slice(0, produced.length >> 1), produced.slice(produced.length >> 1)]) {
      await appendAll(log, part)
      await new Promise((r) => setTimeout(r, 20))
    }
    const total = produced.length
    for (let t = 0; p.position().seq < total && t < 500; t++) await new Promise((r) => setTimeout(r, 20))
    await p.stop()
    expect(heard.at(-1)).toBe(total)
    expect(dumpTables(db)).toEqual(await inThread(log))
  })
})
