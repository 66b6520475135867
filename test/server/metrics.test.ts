/**
 * GET /metrics through prom-client: every metric the server had before, with
 * values that follow what happened, and the default process metrics (CPU,
 * memory, event-loop lag, GC) in valid Prometheus text.
 */
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { RawClient } from '../helpers/raw-client.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'

const OURS = [
  ['scenesync_connections', 'gauge'],
  ['scenesync_rooms_loaded', 'gauge'],
  ['scenesync_updates_appended_total', 'counter'],
  ['scenesync_update_bytes_appended_total', 'counter'],
  ['scenesync_awareness_relayed_total', 'counter'],
  ['scenesync_readonly_writes_refused_total', 'counter'],
  ['scenesync_projector_lag_entries', 'gauge'],
  ['scenesync_rejected_total', 'counter'],
  ['scenesync_append_seconds', 'histogram'],
] as const
const PROCESS = ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']

/** Sample lines as name{labels} → value; throws on a line that is not Prometheus text. */
function parse(text: string): { types: Map<string, string>; samples: Map<string, number> } {
  const types = new Map<string, string>()
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue
    const t = /^# TYPE ([a-zA-Z_:][\w:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (t) {
      types.set(t[1]!, t[2]!)
      continue
    }
    const s = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (-?[\d.e+-]+|NaN|[+-]Inf)$/i.exec(line)
    if (!s) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`)
    samples.set(s[1]!, Number(s[2]))
  }
  return { types, samples }
}

describe('/metrics', () => {
  let s: TestServer | null = null
  afterEach(async () => s?.stop())

  it('keeps every metric the server had, counts what happened, and adds the process metrics', async () => {
    s = await startServer()
    const doc = new Y.Doc()
    const p = new WebsocketProvider(s.url, 'room', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
    try {
      await waitFor(() => p.synced)
      doc.getMap('objects').set('a', 1)
      doc.getMap('objects').set('b', 2)
      await waitFor(() => s!.server.metrics.updatesAppended >= 2)
      const bad = await RawClient.connect(`${s.url}/room`)
      bad.send(new Uint8Array([9, 9]))
      await bad.closedWith()
      const res = await fetch(`${s.http}/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      const { types, samples } = parse(await res.text())
      for (const [name, type] of OURS) expect(types.get(name), name).toBe(type)
      for (const name of PROCESS) expect(types.has(name), name).toBe(true)
      expect(samples.get('scenesync_connections')).toBe(1)
      expect(samples.get('scenesync_rooms_loaded')).toBe(1)
      expect(samples.get('scenesync_updates_appended_total')).toBeGreaterThanOrEqual(2)
      expect(samples.get('scenesync_update_bytes_appended_total')).toBeGreaterThan(0)
      expect(samples.get('scenesync_rejected_total{reason="malformed"}')).toBe(1)
      expect(samples.get('scenesync_append_seconds_count')).toBe(samples.get('scenesync_append_seconds_bucket{le="+Inf"}'))
      expect(samples.get('scenesync_append_seconds_count')).toBeGreaterThanOrEqual(1)
      expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(1e6)
    } finally {
      p.destroy()
    }
  })

  it('two servers in one process count apart', async () => {
    s = await startServer()
    const other = await startServer()
    try {
      s.server.metrics.reject('only_here')
      const [a, b] = await Promise.all([s, other].map(async (x) => (await fetch(`${x.http}/metrics`)).text()))
      expect(a).toContain('scenesync_rejected_total{reason="only_here"} 1')
      expect(b).not.toContain('only_here')
    } finally {
      await other.stop()
    }
  })
})
