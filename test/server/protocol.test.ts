import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import type { AppendInput, Cursor, EventLog, LogEntry, ReadOptions } from '../../src/log/event-log.js'
import { START } from '../../src/log/event-log.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { CLOSE } from '../../src/server/close-codes.js'
import { ConfigError, SyncServer } from '../../src/server/sync-server.js'
import { makeToken } from '../../src/server/tokens.js'
import { RawClient } from '../helpers/raw-client.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

async function server(opts: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer(opts)
  cleanup.push(() => s.stop())
  return s
}

async function raw(url: string): Promise<RawClient> {
  const c = await RawClient.connect(url)
  cleanup.push(() => c.close())
  return c
}

function provider(url: string, room: string, params: Record<string, string> = {}): { doc: Y.Doc; p: WebsocketProvider } {
  const doc = new Y.Doc()
  const p = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params })
  cleanup.push(() => p.destroy())
  return { doc, p }
}

function anUpdate(key = 'k', value: unknown = 1, client = 77): Uint8Array {
  const d = new Y.Doc()
  d.clientID = client
  d.getMap('objects').set(key, value as never)
  return Y.encodeStateAsUpdate(d)
}

async function feed(log: EventLog): Promise<string> {
  return JSON.stringify((await log.readFeed(START, { limit: 1_000_000 })).map((e) => [e.room, e.cursor, e.origin, Buffer.from(e.update).toString('hex')]))
}

/** A log whose appends resolve only when released: to see what happens before durability. */
class GatedLog implements EventLog {
  private gates: Array<() => void> = []
  held = 0
  constructor(readonly inner: EventLog) {}
  append(room: string, inputs: readonly AppendInput[]): Promise<Cursor[]> {
    const p = this.inner.append(room, inputs)
    this.held++
    return p.then((c) => new Promise<Cursor[]>((resolve) => this.gates.push(() => resolve(c))))
  }
  release(): void {
    for (const g of this.gates.splice(0)) g()
  }
  readRoom = (room: string, after: Cursor, opts?: ReadOptions): Promise<LogEntry[]> => this.inner.readRoom(room, after, opts)
  readFeed = (after: Cursor, opts?: ReadOptions) => this.inner.readFeed(after, opts)
  head = (room?: string) => this.inner.head(room)
  subscribe = (l: Parameters<EventLog['subscribe']>[0]) => this.inner.subscribe(l)
  putSnapshot = (s: Parameters<EventLog['putSnapshot']>[0]) => this.inner.putSnapshot(s)
  getSnapshot = (room: string, at?: Cursor) => this.inner.getSnapshot(room, at)
  close = () => this.inner.close()
}

/** A server over a GatedLog on a fresh folder, closed and removed after the test. */
async function gatedServer(opts: { dir?: string; unloadAfterMs?: number; configure?: (g: GatedLog, inner: SqliteEventLog) => void } = {}) {
  const dir = opts.dir ?? tmpDir()
  const inner = SqliteEventLog.open(dir)
  const gated = new GatedLog(inner)
  opts.configure?.(gated, inner)
  const server = new SyncServer({ log: gated, port: 0, unloadAfterMs: opts.unloadAfterMs ?? 50 })
  const { port } = await server.listen()
  cleanup.push(async () => {
    await server.close()
    await inner.close()
    rmTmp(dir)
  })
  return { gated, inner, server, url: `ws://127.0.0.1:${port}` }
}

describe('sync server', () => {
  it('[S1] an update is broadcast, to its sender too, only after its append is durable', async () => {
    const { gated, inner, url } = await gatedServer()
    const a = await raw(`${url}/r`)
    const b = await raw(`${url}/r`)
    await waitFor(() => a.received.length > 0 && b.received.length > 0)
    const u = anUpdate()
    a.sendUpdate(u)
    await waitFor(() => gated.held === 1, 5000, 'the append')
    await new Promise((r) => setTimeout(r, 100))
    // Appended but not yet acknowledged as durable: nobody may see it.
    expect(a.echoed(u) || b.echoed(u)).toBe(false)
    gated.release()
    await waitFor(() => a.echoed(u) && b.echoed(u), 5000, 'the echo')
    expect((await inner.readRoom('r', START)).length).toBe(1)
  })

  it('[S2] a room is loaded from the log before any sync reply; a client never sees a partial doc', async () => {
    const dir = tmpDir()
    const seed = SqliteEventLog.open(dir)
    const writer = new Y.Doc()
    const ups: Uint8Array[] = []
    writer.on('update', (u: Uint8Array) => ups.push(u))
    for (let i = 0; i < 50; i++) writer.getMap('objects').set(`o${i}`, i)
    await seed.append('r', ups.map((update) => ({ update, origin: { client: 1, user: 'w' } })))
    await seed.close()
    let releaseLoad!: () => void
    const loadGate = new Promise<void>((r) => (releaseLoad = r))
    const { url } = await gatedServer({
      dir,
      configure: (slow, inner) => {
        slow.readRoom = async (room, after, opts) => {
          await loadGate
          return inner.readRoom(room, after, opts)
        }
      },
    })
    const c = await raw(`${url}/r`)
    c.sendStep1(Y.encodeStateVector(new Y.Doc()))
    await new Promise((r) => setTimeout(r, 150))
    expect(c.received).toEqual([])
    releaseLoad()
    await waitFor(() => c.received.some((m) => m.sub === 1))
    const doc = new Y.Doc()
    Y.applyUpdate(doc, c.received.find((m) => m.sub === 1)!.payload!)
    expect(doc.getMap('objects').size).toBe(50)
  })

  it('[C1] stock y-websocket providers converge through the server, and the HTTP scene shows the edit', async () => {
    const s = await server()
    const a = provider(s.url, 'studio')
    const b = provider(s.url, 'studio')
    await waitFor(() => a.p.synced && b.p.synced)
    const { SceneDoc } = await import('../../src/crdt/index.js')
    new SceneDoc(a.doc).upsertObject('cube', { name: 'Cube', type: 'MESH', xform: { mode: 'XYZ', location: [1, 2, 3], rotation: [0, 0, 0], scale: [1, 1, 1] } })
    await waitFor(() => new SceneDoc(b.doc).has('cube'))
    await waitFor(async () => ((await (await fetch(`${s.http}/rooms/studio/scene`)).json()) as { objects: unknown[] }).objects.length === 1)
    const scene = (await (await fetch(`${s.http}/rooms/studio/scene`)).json()) as { objects: Array<{ id: string; xform: { location: number[] } }> }
    expect(scene.objects[0]).toMatchObject({ id: 'cube', xform: { location: [1, 2, 3] } })
  })

  it('a client that reconnects with nothing new adds no log entry, though its sync reply carries its delete set', async () => {
    const s = await server()
    const a = provider(s.url, 'again')
    await waitFor(() => a.p.synced)
    const m = a.doc.getMap('objects')
    for (let i = 0; i < 20; i++) m.set('k', i) // overwrites: a delete set
    await waitFor(async () => (await s.log.readRoom('again', START)).length === 20)
    a.p.disconnect()
    a.p.connect()
    await waitFor(() => a.p.synced)
    const b = provider(s.url, 'again')
    await waitFor(() => b.p.synced && b.doc.getMap('objects').get('k') === 19)
    await new Promise((r) => setTimeout(r, 200))
    expect((await s.log.readRoom('again', START)).length).toBe(20)
  })

  it('relays presence, answers query-awareness, and removes a leaving client’s presence', async () => {
    const s = await server()
    const a = provider(s.url, 'p')
    const b = provider(s.url, 'p')
    a.p.awareness.setLocalState({ user: { name: 'Ann', color: '#f00' }, selection: ['cube'], active: 'cube' })
    await waitFor(() => (b.p.awareness.getStates().get(a.doc.clientID) as { user?: { name: string } } | undefined)?.user?.name === 'Ann')
    const c = await raw(`${s.url}/p`)
    c.send(new Uint8Array([3]))
    await waitFor(() => c.received.filter((m) => m.type === 1).length >= 1)
    a.p.destroy()
    await waitFor(() => !b.p.awareness.getStates().has(a.doc.clientID), 5000, 'presence removal')
  })

  it('keeps an idle client alive with keepalive traffic before the 30 s client timeout', async () => {
    const s = await server({ limits: { keepaliveMs: 150 } })
    const c = await raw(`${s.url}/idle`)
    await waitFor(() => c.received.length > 0)
    const n = c.received.length
    await waitFor(() => c.received.slice(n).some((m) => m.type === 1), 3000, 'a keepalive')
    // Keepalives carry no presence and no content.
    expect(c.updates).toHaveLength(0)
  })

  it('unloads a room with no clients; it loads again, whole, on the next connection', async () => {
    const s = await server({ unloadAfterMs: 20 })
    const a = provider(s.url, 'u')
    await waitFor(() => a.p.synced)
    a.doc.getMap('objects').set('x', 1)
    await waitFor(async () => (await s.log.readRoom('u', START)).length === 1)
    await new Promise((r) => setTimeout(r, 50))
    a.p.destroy()
    await waitFor(() => s.server.roomCount === 0, 3000, 'the unload')
    const b = provider(s.url, 'u')
    await waitFor(() => b.p.synced && b.doc.getMap('objects').get('x') === 1)
  })

  it('does not unload a room while an append is in flight, so a room loaded anew misses nothing', async () => {
    const { gated, server: s, url } = await gatedServer({ unloadAfterMs: 20 })
    const a = await RawClient.connect(`${url}/slow`)
    await waitFor(() => a.received.length > 0)
    const u = anUpdate('late', 1)
    a.sendUpdate(u)
    await waitFor(() => gated.held === 1)
    a.close()
    await new Promise((r) => setTimeout(r, 150))
    expect(s.roomCount).toBe(1)
    gated.release()
    await waitFor(() => s.roomCount === 0, 3000, 'the unload after the append settled')
    const b = await raw(`${url}/slow`)
    b.sendStep1(Y.encodeStateVector(new Y.Doc()))
    await waitFor(() => b.received.some((m) => m.sub === 1))
    const doc = new Y.Doc()
    Y.applyUpdate(doc, b.received.find((m) => m.sub === 1)!.payload!)
    expect(doc.getMap('objects').get('late')).toBe(1)
  })

  it('refuses to listen beyond loopback without a secret', () => {
    expect(() => new SyncServer({ log: new SqliteEventLog(':memory:'), host: '0.0.0.0' })).toThrow(ConfigError)
    expect(() => new SyncServer({ log: new SqliteEventLog(':memory:'), host: '0.0.0.0' })).toThrow(/without a secret/)
  })
})

describe('auth', () => {
  const secret = 'test-secret'
  const tok = (room: string, role: 'read' | 'write', expSecondsFromNow = 3600, key = secret) => makeToken(key, { room, role, exp: Math.floor(Date.now() / 1000) + expSecondsFromNow })

  it('[S3] missing, expired, forged and wrong-room tokens are refused with 401/403 and the reason', async () => {
    const s = await server({ secret })
    const attempts: Array<[string, number, RegExp]> = [
      [`${s.url}/r`, 401, /no token/],
      [`${s.url}/r?token=${await tok('r', 'write', -10)}`, 401, /expired/],
      [`${s.url}/r?token=${await tok('r', 'write', 3600, 'other-secret')}`, 401, /signature/],
      [`${s.url}/r?token=garbage`, 401, /malformed/],
      [`${s.url}/r?token=${await tok('other', 'write')}`, 403, /token is for room .+other/],
    ]
    for (const [url, status, reason] of attempts) {
      const err = (await RawClient.connect(url).catch((e: unknown) => e)) as { status: number; body: string }
      expect(err.status).toBe(status)
      expect(err.body).toMatch(reason)
    }
    const ok = await raw(`${s.url}/studio-1?token=${await tok('studio-*', 'write')}`)
    expect(ok.opened).toBe(true)
    // The HTTP API takes the same tokens as Bearer.
    expect((await fetch(`${s.http}/rooms/r/scene`)).status).toBe(401)
    expect((await fetch(`${s.http}/rooms/r/scene`, { headers: { authorization: `Bearer ${await tok('other', 'read')}` } })).status).toBe(403)
    expect((await fetch(`${s.http}/rooms/r/scene`, { headers: { authorization: `Bearer ${await tok('r', 'read')}` } })).status).toBe(200)
    expect((await fetch(`${s.http}/healthz`)).status).toBe(200)
    const metrics = await (await fetch(`${s.http}/metrics`)).text()
    expect(metrics).toMatch(/scenesync_rejected_total\{reason="token_expired"\} 1/)
  })

  it('[S3] a read-only client syncs and sees presence; its updates are refused, counted, and never reach the log', async () => {
    const s = await server({ secret })
    const w = provider(s.url, 'r', { token: await tok('r', 'write') })
    await waitFor(() => w.p.synced)
    w.doc.getMap('objects').set('a', 1)
    w.p.awareness.setLocalState({ user: { name: 'Writer', color: '#0f0' } })
    const r = provider(s.url, 'r', { token: await tok('r', 'read') })
    await waitFor(() => r.p.synced && r.doc.getMap('objects').get('a') === 1)
    await waitFor(() => r.p.awareness.getStates().has(w.doc.clientID))
    const before = await feed(s.log)
    r.doc.getMap('objects').set('b', 2)
    const c = await raw(`${s.url}/r?token=${await tok('r', 'read')}`)
    c.sendUpdate(anUpdate('c', 3))
    await waitFor(() => c.received.some((m) => m.type === 2), 5000, 'permission denied')
    await new Promise((res) => setTimeout(res, 100))
    expect(await feed(s.log)).toBe(before)
    expect(w.doc.getMap('objects').has('b')).toBe(false)
    expect(c.closed).toBeNull()
    expect(s.server.metrics.readOnlyWritesRefused).toBeGreaterThanOrEqual(2)
  })
})

describe('bad input', () => {
  it('[S4] [L4] each bad input closes only its own connection with its code and reason; the log is unchanged and others go on', async () => {
    const s = await server({ limits: { maxMessageBytes: 4096, updatesPerSecond: 50 } })
    const good = provider(s.url, 'room')
    const peer = provider(s.url, 'room')
    await waitFor(() => good.p.synced && peer.p.synced)
    good.doc.getMap('objects').set('before', 1)
    await waitFor(() => peer.doc.getMap('objects').get('before') === 1)
    await waitFor(async () => (await s.log.readRoom('room', START)).length === 1)
    const before = await feed(s.log)

    const valid = anUpdate('x', 'y')
    const big = new Y.Doc()
    big.getMap('objects').set('blob', new Uint8Array(10_000))
    const cases: Array<[string, (c: RawClient) => void, number, RegExp]> = [
      ['garbage frame', (c) => c.send(new Uint8Array([0xff, 0xfe, 0xfd])), CLOSE.MALFORMED, /truncated message/],
      ['unknown message type', (c) => c.send(new Uint8Array([9, 1, 2])), CLOSE.MALFORMED, /unknown message type 9/],
      ['text frame', (c) => c.ws.send('hello'), CLOSE.MALFORMED, /text frames/],
      ['truncated message', (c) => c.send(new Uint8Array([0, 2, 50, 1, 2])), CLOSE.MALFORMED, /truncated message/],
      ['unknown sync type', (c) => c.send(new Uint8Array([0, 9, 0])), CLOSE.MALFORMED, /unknown sync message type 9/],
      ['truncated update', (c) => c.sendUpdate(valid.slice(0, valid.length - 3)), CLOSE.INVALID_UPDATE, /at byte \d+/],
      ['corrupted update', (c) => c.sendUpdate(new Uint8Array([1, 1, 5, 0, 0x19, 7, 7])), CLOSE.INVALID_UPDATE, /.+/],
      ['trailing bytes', (c) => c.sendUpdate(new Uint8Array([...valid, 0, 0])), CLOSE.INVALID_UPDATE, /trailing bytes/],
      ['oversized message', (c) => c.sendUpdate(Y.encodeStateAsUpdate(big)), CLOSE.MESSAGE_TOO_LARGE, /exceeds the limit of 4096/],
      ['frame beyond the hard cap', (c) => c.sendUpdate(new Uint8Array(4096 + (1 << 20) + 10)), CLOSE.FRAME_TOO_LARGE, /^$/], // ws stops reading and closes without a reason
      ['bad awareness', (c) => c.sendAwareness(new Uint8Array([5, 1])), CLOSE.MALFORMED, /awareness/],
      [
        'flood over the rate limit',
        (c) => {
          for (let i = 0; i < 400; i++) c.send(new Uint8Array([0, 2, 2, 0, 0]))
        },
        CLOSE.RATE_LIMITED,
        /more than 50 updates per second/,
      ],
    ]
    for (const [what, act, code, reason] of cases) {
      const c = await raw(`${s.url}/room`)
      await waitFor(() => c.received.length > 0)
      act(c)
      const closed = await c.closedWith()
      expect({ what, code: closed.code }).toEqual({ what, code })
      expect(closed.reason).toMatch(reason)
    }
    // Nothing partial or invalid reached the log.
    expect(await feed(s.log)).toBe(before)
    // The well-behaved clients were never disturbed.
    good.doc.getMap('objects').set('after', 2)
    await waitFor(() => peer.doc.getMap('objects').get('after') === 2)
    expect(good.p.wsconnected && peer.p.wsconnected).toBe(true)
    const metrics = await (await fetch(`${s.http}/metrics`)).text()
    for (const r of ['malformed', 'invalid_update', 'too_large', 'rate_limited']) expect(metrics).toContain(`scenesync_rejected_total{reason="${r}"}`)
  })

  it('[S4] a room over its connection limit refuses the next client with 503', async () => {
    const s = await server({ limits: { connectionsPerRoom: 2 } })
    await raw(`${s.url}/full`)
    await raw(`${s.url}/full`)
    const err = (await RawClient.connect(`${s.url}/full`).catch((e: unknown) => e)) as { status: number; body: string }
    expect(err.status).toBe(503)
    expect(err.body).toMatch(/room is full \(2 connections\)/)
  })

  it('awareness of a garbage client does not reach others as content', async () => {
    const s = await server()
    const a = provider(s.url, 'aw')
    await waitFor(() => a.p.synced)
    const c = await raw(`${s.url}/aw`)
    const other = new awarenessProtocol.Awareness(new Y.Doc())
    other.setLocalState({ user: { name: 'Raw' } })
    c.sendAwareness(awarenessProtocol.encodeAwarenessUpdate(other, [other.clientID]))
    await waitFor(() => a.p.awareness.getStates().has(other.clientID))
    expect((await s.log.readFeed(START)).length).toBe(0)
  })
})
