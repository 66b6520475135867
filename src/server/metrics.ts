/**
 * The server's Prometheus metrics through prom-client, rendered for GET
 * /metrics: our own (one registry per server, so servers sharing a process,
 * as in tests, count apart) followed by prom-client's default process metrics
 * (CPU, memory, event-loop lag, GC, handles), which belong to the process and
 * are collected once per process.
 *
 * The fields keep their plain-number shape (`metrics.connections++`), so the
 * code that counts does not know about prom-client: a counter field only ever
 * grows, and each increase is passed on.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

const APPEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

let processRegistry: Registry | null = null
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export class Metrics {
  readonly registry = new Registry()
  readonly contentType = this.registry.contentType
  readonly rejected = new Map<string, number>()
  private readonly values = { connections: 0, roomsLoaded: 0, updatesAppended: 0, bytesAppended: 0, awarenessRelayed: 0, readOnlyWritesRefused: 0, projectorLag: 0 }
  private readonly gauges: Record<'connections' | 'roomsLoaded' | 'projectorLag', Gauge>
  private readonly counters: Record<'updatesAppended' | 'bytesAppended' | 'awarenessRelayed' | 'readOnlyWritesRefused', Counter>
  private readonly rejectedTotal: Counter<'reason'>
  private readonly append: Histogram

  constructor() {
    const registers = [this.registry]
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers })
    const counter = (name: string, help: string) => new Counter({ name, help, registers })
    this.gauges = {
      connections: gauge('scenesync_connections', 'Open WebSocket connections.'),
      roomsLoaded: gauge('scenesync_rooms_loaded', 'Rooms held in memory.'),
      projectorLag: gauge('scenesync_projector_lag_entries', 'Log entries not yet projected.'),
    }
    this.counters = {
      updatesAppended: counter('scenesync_updates_appended_total', 'Yjs updates appended to the event log.'),
      bytesAppended: counter('scenesync_update_bytes_appended_total', 'Bytes of Yjs updates appended.'),
      awarenessRelayed: counter('scenesync_awareness_relayed_total', 'Awareness messages relayed.'),
      readOnlyWritesRefused: counter('scenesync_readonly_writes_refused_total', 'Updates refused from read-only connections.'),
    }
    this.rejectedTotal = new Counter({ name: 'scenesync_rejected_total', help: 'Inputs rejected, by reason.', labelNames: ['reason'], registers })
    this.append = new Histogram({ name: 'scenesync_append_seconds', help: 'Time from receiving an update to its durable append.', buckets: APPEND_BUCKETS, registers })
  }

  get connections(): number {
    return this.values.connections
  }
  set connections(v: number) {
    this.setGauge('connections', v)
  }
  get roomsLoaded(): number {
    return this.values.roomsLoaded
  }
  set roomsLoaded(v: number) {
    this.setGauge('roomsLoaded', v)
  }
  get projectorLag(): number {
    return this.values.projectorLag
  }
  set projectorLag(v: number) {
    this.setGauge('projectorLag', v)
  }
  get updatesAppended(): number {
    return this.values.updatesAppended
  }
  set updatesAppended(v: number) {
    this.grow('updatesAppended', v)
  }
  get bytesAppended(): number {
    return this.values.bytesAppended
  }
  set bytesAppended(v: number) {
    this.grow('bytesAppended', v)
  }
  get awarenessRelayed(): number {
    return this.values.awarenessRelayed
  }
  set awarenessRelayed(v: number) {
    this.grow('awarenessRelayed', v)
  }
  get readOnlyWritesRefused(): number {
    return this.values.readOnlyWritesRefused
  }
  set readOnlyWritesRefused(v: number) {
    this.grow('readOnlyWritesRefused', v)
  }

  reject(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1)
    this.rejectedTotal.inc({ reason })
  }

  observeAppend(seconds: number): void {
    this.append.observe(seconds)
  }

  /** Prometheus text: this server's metrics, then the process's. */
  async render(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processMetrics().metrics()}`
  }

  private setGauge(k: keyof Metrics['gauges'], v: number): void {
    this.values[k] = v
    this.gauges[k].set(v)
  }

  private grow(k: keyof Metrics['counters'], v: number): void {
    const by = v - this.values[k]
    if (by < 0) throw new RangeError(`counter ${k} cannot go down (${this.values[k]} to ${v})`)
    this.values[k] = v
    if (by > 0) this.counters[k].inc(by)
  }
}
