/**
 * Presence (awareness) is not logged, but it is relayed to every peer: a
 * client flooding it must be the one that is closed, not the peers whose
 * buffers it fills (`[S4]`).
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { START } from '../../src/log/event-log.js'
import { CLOSE } from '../../src/server/close-codes.js'
import { RawClient } from '../helpers/raw-client.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

async function server(opts: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(opts)
  cleanup.push(() => s.stop())
  return s
}

function provider(url: string, room: string): { doc: Y.Doc; p: WebsocketProvider; closes: number[] } {
  const doc = new Y.Doc()
  const p = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
  const closes: number[] = []
  p.on('connection-close', (e: { code?: number } | null) => closes.push(e?.code ?? 0))
  cleanup.push(() => p.destroy())
  return { doc, p, closes }
}

async function raw(url: string): Promise<RawClient> {
  const c = await RawClient.connect(url)
  cleanup.push(() => c.close())
  return c
}

/** Awareness updates of one fake client, each with a selection of `ids` ids. */
function presence(n: number, ids: number): Uint8Array[] {
  const a = new awarenessProtocol.Awareness(new Y.Doc())
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    a.setLocalState({ user: { name: 'Flood', color: '#f00' }, selection: Array.from({ length: ids }, (_, k) => `object-${i}-${k}`), active: null })
    out.push(awarenessProtocol.encodeAwarenessUpdate(a, [a.clientID]))
  }
  return out
}

describe('presence limits', () => {
  it('[S4] a client flooding presence is closed with 4429; its peers stay connected and keep syncing', async () => {
    const s = await server({ limits: { maxBufferedBytes: 64 << 10, awarenessPerSecond: 20 } })
    const a = provider(s.url, 'p')
    const b = provider(s.url, 'p')
    await waitFor(() => a.p.synced && b.p.synced)
    a.p.awareness.setLocalState({ user: { name: 'Ann', color: '#0f0' }, selection: [], active: null })
    await waitFor(() => b.p.awareness.getStates().has(a.doc.clientID))
    const flooder = await raw(`${s.url}/p`)
    await waitFor(() => flooder.received.length > 0)
    for (const u of presence(300, 40)) flooder.sendAwareness(u)
    const closed = await flooder.closedWith()
    expect(closed.code).toBe(CLOSE.RATE_LIMITED)
    expect(closed.reason).toMatch(/presence: more than 20 awareness updates per second/)
    // The innocent peers were never closed, and still exchange edits and presence.
    a.doc.getMap('objects').set('after-flood', 1)
    await waitFor(() => b.doc.getMap('objects').get('after-flood') === 1, 5000, 'an edit after the flood')
    b.p.awareness.setLocalStateField('selection', ['x'])
    await waitFor(() => (a.p.awareness.getStates().get(b.doc.clientID) as { selection?: string[] } | undefined)?.selection?.[0] === 'x')
    expect([a.closes, b.closes]).toEqual([[], []])
    expect((await s.log.readFeed(START)).length).toBe(1)
    const metrics = await (await fetch(`${s.http}/metrics`)).text()
    expect(metrics).toContain('scenesync_rejected_total{reason="awareness_rate_limited"} 1')
  })

  it('[S4] a presence message over the size limit closes its sender with 4413; the room goes on', async () => {
    const s = await server({ limits: { maxAwarenessBytes: 4096 } })
    const a = provider(s.url, 'p')
    await waitFor(() => a.p.synced)
    const big = await raw(`${s.url}/p`)
    await waitFor(() => big.received.length > 0)
    big.sendAwareness(presence(1, 500)[0]!)
    const closed = await big.closedWith()
    expect(closed.code).toBe(CLOSE.MESSAGE_TOO_LARGE)
    expect(closed.reason).toMatch(/presence update of \d+ bytes exceeds the limit of 4096/)
    a.doc.getMap('objects').set('k', 1)
    await waitFor(async () => (await s.log.readFeed(START)).length === 1)
    expect(a.closes).toEqual([])
  })

  it('[S4] a flood of sync step 1 messages (each asks for the whole doc) takes from the rate limit', async () => {
    const s = await server({ limits: { updatesPerSecond: 50 } })
    const c = await raw(`${s.url}/p`)
    await waitFor(() => c.received.length > 0)
    for (let i = 0; i < 400; i++) c.sendStep1(Y.encodeStateVector(new Y.Doc()))
    const closed = await c.closedWith()
    expect(closed.code).toBe(CLOSE.RATE_LIMITED)
    expect(closed.reason).toMatch(/more than 50 messages per second/)
  })
})
