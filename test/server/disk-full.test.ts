/**
 * The log's disk fills: appends fail cleanly (the sender is closed with 4500
 * "disk full" and never acknowledged, nothing partial is logged), readers and
 * the HTTP API go on, /healthz says degraded, and appends resume by themselves
 * once there is room again. The projection's disk fills: the projector pauses
 * and catches up later. A size cap in pages (SQLite's max_page_count) fills the
 * disk here; one test also fills a real (tmpfs) file system where it may mount.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { IDENTITY_XFORM, SceneDoc } from '../../src/crdt/index.js'
import { START } from '../../src/log/event-log.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { CLOSE } from '../../src/server/close-codes.js'
import { dumpTables } from '../helpers/projection-fixture.js'
import { RawClient } from '../helpers/raw-client.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'
import { spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

function provider(url: string, room: string): { doc: Y.Doc; scene: SceneDoc; p: WebsocketProvider } {
  const doc = new Y.Doc()
  const p = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, maxBackoffTime: 300 })
  cleanup.push(() => p.destroy())
  return { doc, scene: new SceneDoc(doc), p }
}

/** An update too big for the free space left in the file's pages. */
function bigUpdate(key: string, bytes = 64 << 10, client = 99): Uint8Array {
  const d = new Y.Doc()
  d.clientID = client
  d.getMap('objects').set(key, new Uint8Array(bytes).fill(7))
  return Y.encodeStateAsUpdate(d)
}

async function feed(log: SqliteEventLog): Promise<string> {
  return JSON.stringify((await log.readFeed(START, { limit: 1_000_000 })).map((e) => [e.cursor, Buffer.from(e.update).toString('hex')]))
}

async function health(http: string): Promise<{ status: string; problems?: string[] }> {
  const res = await fetch(`${http}/healthz`)
  expect(res.status).toBe(200)
  return (await res.json()) as { status: string; problems?: string[] }
}

describe('disk full', () => {
  it('[L1] [S1] [S4] a full log refuses the update (4500 "disk full", nothing logged), keeps readers and HTTP going, reports degraded, and resumes by itself', async () => {
    const s: TestServer = await startServer()
    cleanup.push(() => s.stop())
    const reader = provider(s.url, 'r')
    const writer = provider(s.url, 'r')
    await waitFor(() => reader.p.synced && writer.p.synced)
    writer.scene.upsertObject('cube', { name: 'Cube', type: 'MESH', xform: IDENTITY_XFORM })
    await waitFor(() => reader.scene.has('cube'))
    await waitFor(async () => (await (await fetch(`${s.http}/rooms/r/scene`)).json() as { objects: unknown[] }).objects.length === 1)
    const before = await feed(s.log)
    expect(await health(s.http)).toMatchObject({ status: 'ok' })

    // The disk is full: the file may not grow past the pages it has.
    s.log.setMaxPages(1)
    const raw = await RawClient.connect(`${s.url}/r`)
    cleanup.push(() => raw.close())
    await waitFor(() => raw.received.length > 0)
    const big = bigUpdate('big')
    raw.sendUpdate(big)
    const closed = await raw.closedWith()
    expect(closed.code).toBe(CLOSE.INTERNAL)
    expect(closed.reason).toMatch(/^disk full/)
    expect(raw.echoed(big)).toBe(false)
    expect(await feed(s.log)).toBe(before)
    const h = await health(s.http)
    expect(h.status).toBe('degraded')
    expect(h.problems?.join(' ')).toMatch(/event log: disk full/)

    // A stock provider's edit is refused too; it keeps retrying on its own.
    writer.doc.getMap('objects').set('blob', new Uint8Array(64 << 10).fill(1))
    await new Promise((r) => setTimeout(r, 300))
    expect(reader.doc.getMap('objects').has('blob')).toBe(false)
    // Readers and the HTTP API still work.
    expect(reader.p.wsconnected).toBe(true)
    const scene = (await (await fetch(`${s.http}/rooms/r/scene`)).json()) as { objects: Array<{ id: string }> }
    expect(scene.objects.map((o) => o.id)).toEqual(['cube'])
    const late = provider(s.url, 'r')
    await waitFor(() => late.p.synced && late.scene.has('cube'), 5000, 'a new reader served')

    // Space returns: the writer's retry goes through without anyone doing anything.
    s.log.setMaxPages(1 << 20)
    await waitFor(() => reader.doc.getMap('objects').has('blob'), 15_000, 'the edit after space returned')
    await waitFor(async () => (await health(s.http)).status === 'ok', 5000, 'healthz ok again')
    expect(await feed(s.log)).not.toBe(before)
  })

  it('[P1] [P2] a full projection pauses the projector, appends go on, and it catches up once there is room', async () => {
    const s: TestServer = await startServer({ projectorOptions: { retryMaxMs: 200 } })
    cleanup.push(() => s.stop())
    const a = provider(s.url, 'r')
    await waitFor(() => a.p.synced)
    a.scene.upsertObject('o', { name: 'O', type: 'EMPTY', xform: IDENTITY_XFORM })
    await waitFor(() => s.projector.position().seq === 1)
    s.db.exec('PRAGMA max_page_count = 1')
    for (let i = 1; i <= 300; i++) a.scene.setXform('o', { ...IDENTITY_XFORM, location: [i, 0, 0] })
    await waitFor(async () => (await s.log.readFeed(START, { limit: 1000 })).length === 301, 10_000, 'every edit logged')
    await waitFor(async () => (await health(s.http)).status === 'degraded', 10_000, 'degraded')
    expect((await health(s.http)).problems?.join(' ')).toMatch(/projection: .*(full|SQLITE_FULL)/)
    expect(s.projector.position().seq).toBeLessThan(301)
    s.db.exec('PRAGMA max_page_count = 1073741823')
    await waitFor(() => s.projector.position().seq === 301, 15_000, 'the projector to catch up')
    await waitFor(async () => (await health(s.http)).status === 'ok', 5000, 'healthz ok again')
    const rebuilt = openDatabase(':memory:')
    await new Projector(s.log, rebuilt, { snapshotEvery: 0 }).catchUp()
    expect(dumpTables(s.db)).toEqual(dumpTables(rebuilt))
  })

  const canMount = process.getuid?.() === 0 && process.platform === 'linux'
  // CI runs as root: there a missing mount is a failure, not a skip.
  if (!canMount && process.env.CI === 'true') {
    it('[L1] a real full file system (tmpfs) needs root on Linux, which CI has', () => {
      throw new Error('CI=true but this process cannot mount a tmpfs (not root, or not Linux)')
    })
  }
  it.skipIf(!canMount)('[L1] a real full file system (tmpfs): the sender is closed with "disk full", the log stays whole, appends resume once space is freed', async () => {
    const dir = tmpDir()
    cleanup.push(() => rmTmp(dir))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir])
    cleanup.push(() => void execFileSync('umount', ['-l', dir]))
    const data = path.join(dir, 'data')
    const srv = await spawnServer(data)
    cleanup.push(() => void srv.kill('SIGKILL'))
    const a = await RawClient.connect(`${srv.url}/r`)
    cleanup.push(() => a.close())
    await waitFor(() => a.received.length > 0)
    const first = bigUpdate('first', 1000, 1)
    a.sendUpdate(first)
    await waitFor(() => a.echoed(first))
    // Fill the file system to the last byte.
    const filler = path.join(dir, 'filler')
    const fd = fs.openSync(filler, 'w')
    const chunk = Buffer.alloc(64 << 10, 1)
    try {
      for (;;) fs.writeSync(fd, chunk)
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC')
    }
    try {
      for (;;) fs.writeSync(fd, chunk, 0, 512)
    } catch {
      // Full to the last block.
    }
    fs.closeSync(fd)
    const big = bigUpdate('big', 256 << 10, 2)
    a.sendUpdate(big)
    const closed = await a.closedWith(10_000)
    expect(closed.code).toBe(CLOSE.INTERNAL)
    expect(closed.reason).toMatch(/^disk full/)
    const h = await health(srv.http)
    expect(h.status).toBe('degraded')
    fs.rmSync(filler)
    const b = await RawClient.connect(`${srv.url}/r`)
    cleanup.push(() => b.close())
    await waitFor(() => b.received.length > 0)
    b.sendUpdate(big)
    await waitFor(() => b.echoed(big), 10_000, 'the append after space was freed')
    expect(await srv.kill('SIGTERM')).toBe(0)
    const log = SqliteEventLog.open(data)
    const entries = await log.readRoom('r', START)
    await log.close()
    expect(entries.map((e) => e.update.length)).toEqual([first.length, big.length])
  })
})
