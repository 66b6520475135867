/**
 * The projector's Yjs half runs in a worker thread. Errors on either side of
 * the thread boundary must reach the projector, a worker that dies must not
 * leave it waiting forever, and `stop()` must always return (serve's shutdown
 * waits on it).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { IDENTITY_XFORM, SceneDoc } from '../../src/crdt/index.js'
import { Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { FaultLog } from '../helpers/fault-log.js'
import { dumpTables, memoryLog } from '../helpers/projection-fixture.js'
import { waitFor } from '../helpers/server.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

/** Settles with the promise's outcome, or fails the test if it does not settle in time. */
async function settles<T>(p: Promise<T>, what: string, ms = 10_000): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)))
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value }), (error: Error) => ({ ok: false as const, error })), timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function logWith(entries: number) {
  const inner = memoryLog()
  const log = new FaultLog(inner)
  const scene = new SceneDoc()
  scene.doc.on('update', (u: Uint8Array) => void inner.append('r', [{ update: u, origin: { client: scene.doc.clientID, user: 'u' } }]))
  let made = 0
  const move = async (n: number) => {
    for (let k = 0; k < n; k++, made++) scene.upsertObject(`o${made % 3}`, { name: `O${made % 3}`, type: 'EMPTY', xform: { ...IDENTITY_XFORM, location: [made, 0, 0] } })
    await new Promise((r) => setImmediate(r))
  }
  await move(entries)
  cleanup.push(() => inner.close())
  return { log, inner, move }
}

async function rebuilt(log: ReturnType<typeof memoryLog>) {
  const db = openDatabase(':memory:')
  await new Projector(log, db, { snapshotEvery: 0 }).catchUp()
  return dumpTables(db)
}

describe('projector worker faults', () => {
  it('a log read that fails while the worker loads a room fails the batch with that error; stop() returns', async () => {
    const { log, move } = await logWith(3)
    const db = openDatabase(':memory:')
    const first = new Projector(log, db, { worker: true })
    expect(await first.catchUp()).toBe(3)
    await first.stop()
    await move(2)
    // A restarted projector reloads the room's doc from the log, through the worker's request.
    log.beforeGetSnapshot = () => {
      throw new Error('disk read error in getSnapshot')
    }
    const p = new Projector(log, db, { worker: true })
    const r = await settles(p.catchUp(), 'catchUp')
    expect(r.ok).toBe(false)
    expect((r as { error: Error }).error.message).toMatch(/disk read error in getSnapshot/)
    expect((await settles(p.stop(), 'stop')).ok).toBe(true)
    // Once the log reads again, a projector catches up from the committed cursor.
    log.beforeGetSnapshot = null
    const again = new Projector(log, db, { worker: true })
    expect(await again.catchUp()).toBe(2)
    await again.stop()
  })

  it('a worker that dies is restarted: the projection catches up and equals a rebuild', async () => {
    const { inner } = await logWith(6)
    const db = openDatabase(':memory:')
    // Each worker thread exits (as if it crashed) when asked for its second batch.
    const p = new Projector(inner, db, { worker: true, batchSize: 1, workerExitAt: 2 })
    const r = await settles(p.catchUp(), 'catchUp', 45_000)
    expect(r).toEqual({ ok: true, value: 6 })
    expect(dumpTables(db)).toEqual(await rebuilt(inner))
    expect((await settles(p.stop(), 'stop')).ok).toBe(true)
  })

  it('a worker that keeps dying stops the projector with a clear message, and stop() returns', async () => {
    const { inner } = await logWith(3)
    const db = openDatabase(':memory:')
    const p = new Projector(inner, db, { worker: true, workerExitAt: 1 })
    const r = await settles(p.catchUp(), 'catchUp')
    expect(r.ok).toBe(false)
    expect((r as { error: Error }).error.message).toMatch(/projector worker thread exited \(code 1\) 3 times in a row/)
    // Following the log, it gives up the same way and says so.
    const following = new Projector(inner, db, { worker: true, workerExitAt: 1 })
    following.start()
    await waitFor(() => following.failure !== null, 15_000, 'the projector to give up')
    expect(following.failure?.message).toMatch(/3 times in a row/)
    expect((await settles(following.stop(), 'stop')).ok).toBe(true)
    expect((await settles(p.stop(), 'stop')).ok).toBe(true)
  })
})
