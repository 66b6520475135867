/**
 * The server's Prometheus metrics, rendered as text for GET /metrics. A few
 * counters, gauges and one histogram do not need a client library.
 */

const APPEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

export class Metrics {
  connections = 0
  roomsLoaded = 0
  updatesAppended = 0
  bytesAppended = 0
  awarenessRelayed = 0
  readOnlyWritesRefused = 0
  projectorLag = 0
  readonly rejected = new Map<string, number>()
  private readonly appendBuckets = APPEND_BUCKETS.map(() => 0)
  private appendCount = 0
  private appendSum = 0

  reject(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1)
  }

  observeAppend(seconds: number): void {
    this.appendCount++
    this.appendSum += seconds
    APPEND_BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.appendBuckets[i]!++
    })
  }

  render(): string {
    const l: string[] = []
    const metric = (name: string, type: string, help: string, value: number) => {
      l.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`)
    }
    metric('scenesync_connections', 'gauge', 'Open WebSocket connections.', this.connections)
    metric('scenesync_rooms_loaded', 'gauge', 'Rooms held in memory.', this.roomsLoaded)
    metric('scenesync_updates_appended_total', 'counter', 'Yjs updates appended to the event log.', this.updatesAppended)
    metric('scenesync_update_bytes_appended_total', 'counter', 'Bytes of Yjs updates appended.', this.bytesAppended)
    metric('scenesync_awareness_relayed_total', 'counter', 'Awareness messages relayed.', this.awarenessRelayed)
    metric('scenesync_readonly_writes_refused_total', 'counter', 'Updates refused from read-only connections.', this.readOnlyWritesRefused)
    metric('scenesync_projector_lag_entries', 'gauge', 'Log entries not yet projected.', this.projectorLag)
    l.push('# HELP scenesync_rejected_total Inputs rejected, by reason.', '# TYPE scenesync_rejected_total counter')
    for (const [reason, n] of [...this.rejected].sort()) l.push(`scenesync_rejected_total{reason="${reason}"} ${n}`)
    l.push('# HELP scenesync_append_seconds Time from receiving an update to its durable append.', '# TYPE scenesync_append_seconds histogram')
    APPEND_BUCKETS.forEach((le, i) => l.push(`scenesync_append_seconds_bucket{le="${le}"} ${this.appendBuckets[i]}`))
    l.push(`scenesync_append_seconds_bucket{le="+Inf"} ${this.appendCount}`, `scenesync_append_seconds_sum ${this.appendSum}`, `scenesync_append_seconds_count ${this.appendCount}`)
    return l.join('\n') + '\n'
  }
}
