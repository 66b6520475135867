/**
 * Loading, failing to load and unloading rooms, with connections arriving and
 * leaving at the awkward moments: while the room loads, after its load failed,
 * while it is about to unload.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { START } from '../../src/log/event-log.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { CLOSE } from '../../src/server/close-codes.js'
import type { Limits } from '../../src/server/connection.js'
import { SyncServer } from '../../src/server/sync-server.js'
import { FaultLog, failTimes, gate } from '../helpers/fault-log.js'
import { RawClient } from '../helpers/raw-client.js'
import { waitFor } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

function anUpdate(key: string, value: unknown, client = 77): Uint8Array {
  const d = new Y.Doc()
  d.clientID = client
  d.getMap('objects').set(key, value as never)
  return Y.encodeStateAsUpdate(d)
}

async function seeded(keys: string[]): Promise<string> {
  const dir = tmpDir()
  const log = SqliteEventLog.open(dir)
  await log.append('r', keys.map((k, i) => ({ update: anUpdate(k, i, 10 + i), origin: { client: 10 + i, user: 'seed' } })))
  await log.close()
  return dir
}

async function serve(opts: { dir?: string; unloadAfterMs?: number; limits?: Partial<Limits>; tailForeign?: boolean; log?: SqliteEventLog } = {}) {
  const dir = opts.dir ?? tmpDir()
  const inner = opts.log ?? SqliteEventLog.open(dir)
  const log = new FaultLog(inner)
  const server = new SyncServer({ log, port: 0, unloadAfterMs: opts.unloadAfterMs ?? 30_000, tailForeign: opts.tailForeign ?? false, ...(opts.limits ? { limits: opts.limits } : {}) })
  const { port } = await server.listen()
  cleanup.push(async () => {
    await server.close()
    if (!opts.log) {
      await inner.close()
      rmTmp(dir)
    }
  })
  return { log, inner, server, url: `ws://127.0.0.1:${port}` }
}

async function client(url: string): Promise<RawClient> {
  const c = await RawClient.connect(url)
  cleanup.push(() => c.close())
  return c
}

/** The doc a client was served in answer to its sync step 1. */
async function served(c: RawClient): Promise<Y.Doc> {
  c.sendStep1(Y.encodeStateVector(new Y.Doc()))
  await waitFor(() => c.received.some((m) => m.sub === 1), 5000, 'a sync step 2')
  const doc = new Y.Doc()
  Y.applyUpdate(doc, c.received.find((m) => m.sub === 1)!.payload!)
  return doc
}

describe('room lifecycle', () => {
  it('[S2] a room whose load failed is dropped: the next connection loads it again and is served the whole room', async () => {
    const dir = await seeded(['a', 'b', 'c'])
    const { log, server, url } = await serve({ dir })
    log.beforeReadRoom = failTimes(1, 'transient I/O error')
    const first = await client(`${url}/r`)
    expect(await first.closedWith()).toMatchObject({ code: CLOSE.INTERNAL, reason: expect.stringMatching(/room failed to load/) })
    // Well inside the unload delay: a cached failed room would still be there.
    const second = await client(`${url}/r`)
    expect((await served(second)).getMap('objects').toJSON()).toEqual({ a: 0, b: 1, c: 2 })
    expect(second.closed).toBeNull()
    expect(server.roomCount).toBe(1)
  })

  it('[S2] a room is not unloaded while a connection is still waiting for it to load: one doc per room', async () => {
    const dir = await seeded(['a'])
    const { log, server, url } = await serve({ dir, unloadAfterMs: 10 })
    const load = gate()
    log.beforeReadRoom = () => load.wait()
    const leaving = await client(`${url}/r`)
    const staying = await client(`${url}/r`)
    await waitFor(() => log.readRoomCalls > 0)
    leaving.close()
    await leaving.closedWith()
    // Many unload delays pass while the room still loads.
    await new Promise((r) => setTimeout(r, 150))
    expect(server.roomCount).toBe(1)
    load.open()
    expect((await served(staying)).getMap('objects').get('a')).toBe(0)
    const later = await client(`${url}/r`)
    await served(later)
    // An edit of the connection that waited reaches the one that came later.
    const u = anUpdate('from-staying', 1, 5)
    staying.sendUpdate(u)
    await waitFor(() => later.echoed(u), 5000, 'the edit at the later connection')
    expect(server.roomCount).toBe(1)
  })

  it('[S4] connections still waiting for their room count toward the room’s connection limit', async () => {
    const dir = await seeded(['a'])
    const { log, url } = await serve({ dir, limits: { connectionsPerRoom: 2 } })
    const load = gate()
    log.beforeReadRoom = () => load.wait()
    await client(`${url}/r`)
    await client(`${url}/r`)
    const err = (await RawClient.connect(`${url}/r`).catch((e: unknown) => e)) as { status: number; body: string }
    expect(err.status).toBe(503)
    expect(err.body).toMatch(/room is full \(2 connections\)/)
    load.open()
  })

  it('[S4] what a client sends while its room loads is bounded: past the limit it is closed, and the log is unchanged', async () => {
    const dir = await seeded(['a'])
    const { log, inner, url } = await serve({ dir, limits: { maxMessageBytes: 4096, maxQueuedBytes: 16_384 } })
    const load = gate()
    log.beforeReadRoom = () => load.wait()
    const c = await client(`${url}/r`)
    const blob = new Y.Doc()
    blob.getMap('objects').set('blob', new Uint8Array(3000))
    const u = Y.encodeStateAsUpdate(blob)
    for (let i = 0; i < 10; i++) c.sendUpdate(u)
    const closed = await c.closedWith()
    expect(closed.code).toBe(CLOSE.MESSAGE_TOO_LARGE)
    expect(closed.reason).toMatch(/more than 16384 bytes waiting/)
    load.open()
    await new Promise((r) => setTimeout(r, 100))
    expect(await inner.readRoom('r', START)).toHaveLength(1)
  })

  it('[C1] with a shared log, a tail read that fails is retried: the other server’s clients still get the edit', async () => {
    const dir = tmpDir()
    const shared = SqliteEventLog.open(dir)
    cleanup.push(async () => {
      await shared.close()
      rmTmp(dir)
    })
    const a = await serve({ log: shared, tailForeign: true })
    const b = await serve({ log: shared, tailForeign: true })
    const ca = await client(`${a.url}/r`)
    const cb = await client(`${b.url}/r`)
    await served(ca)
    await served(cb)
    // B's first read of the tail fails; nothing else is appended after.
    b.log.beforeReadRoom = failTimes(1, 'transient I/O error')
    const u = anUpdate('x', 1)
    ca.sendUpdate(u)
    await waitFor(() => ca.echoed(u), 5000, 'the echo on A')
    await waitFor(() => cb.echoed(u), 10_000, 'the edit on B after a retry')
  })
})
