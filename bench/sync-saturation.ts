/**
 * The saturation run: 16 raw WebSocket clients speaking the server's protocol
 * (sync "update" messages, one per frame, exactly what the stock provider
 * sends for a local edit) replay pre-generated edit streams (real Yjs updates
 * from `Editor`s, the same bytes for every server) in one room, open loop, at
 * a ladder of offered rates.
 *
 * Why raw clients: the stock provider ignores its own echo and applies every
 * peer update into a Y.Doc, so 16 of them in one bench process would measure
 * the bench, not the server. A raw client reads only the (client, clock)
 * ranges of what it receives (sync-raw-client.ts).
 *
 * A step's rate is the smallest of: acknowledgements inside its window per
 * second (sync-raw-client.ts says what each server's acknowledgement is), its
 * updates over the time until the last was acknowledged, and the updates
 * fanned out to every other client inside the window per second (Hocuspocus
 * acknowledges before it broadcasts, so acks alone would flatter it). Each
 * step also reports the ack latency and the CPU of the server and of the
 * bench process.
 */
import { RawClient, countBelow, firstClock } from './sync-raw-client.js'
import { type ServerProc, cpuSecondsOf } from './sync-servers.js'
import { Editor } from './sync-workload.js'
import { summarize } from './stats.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Pre-generated edit streams, one per client; index 0 is the update creating its objects. */
export class EditStreams {
  readonly editors: Editor[]
  readonly updates: Uint8Array[][]
  readonly clocks: number[][]
  private capturing = 0

  constructor(clients: number, objectsPerClient: number, seed: number) {
    this.editors = Array.from({ length: clients }, (_, i) => new Editor(i, objectsPerClient, seed + 100, undefined, 0x6000 + i))
    this.updates = this.editors.map(() => [])
    this.clocks = this.editors.map(() => [])
    this.editors.forEach((e, i) =>
      e.doc.on('update', (u: Uint8Array) => {
        this.capturing++
        this.updates[i]!.push(u)
        this.clocks[i]!.push(firstClock(u))
      }),
    )
    for (const e of this.editors) e.create()
  }

  get clientIds(): number[] {
    return this.editors.map((e) => e.doc.clientID)
  }

  /** Makes sure client `i` has at least `n` updates. */
  ensure(i: number, n: number): void {
    const e = this.editors[i]!
    while (this.updates[i]!.length < n) {
      const before = this.capturing
      e.edit()
      if (this.capturing !== before + 1) throw new Error('an edit must make exactly one update')
    }
  }
}

export interface SaturationStep {
  offered: number
  /** Acks received inside the step's sending window, per second. */
  acked_in_window: number
  /** The step's updates over the time until the last of them was acknowledged. */
  completed_rate: number
  ack_ms_p50: number
  ack_ms_p99: number
  /** Peer updates each client received inside the window, per second (fan-out). */
  delivered_per_client: number
  /** Updates fanned out to every other client inside the window, per second (deliveries / (clients − 1)). */
  fanned_out_in_window: number
  server_cpu_percent: number
  bench_cpu_percent: number
  drained: boolean
}

export interface SaturationResult {
  updates_per_s_sustained: number
  steps: SaturationStep[]
  stopped_because: string
  closed_connections: string[]
}

export interface SaturationOptions {
  rates: number[]
  stepSeconds: number
  drainSeconds: number
  say: (msg: string) => void
}

export async function runSaturation(server: ServerProc, room: string, streams: EditStreams, o: SaturationOptions): Promise<SaturationResult> {
  const ids = streams.clientIds
  const clients = ids.map((clientId) => new RawClient({ protocol: server.protocol, url: server.url, room, clientId }))
  await Promise.all(clients.map((c) => c.open))
  // Setup: every client creates its objects; wait for every acknowledgement.
  clients.forEach((c, i) => c.send(streams.updates[i]![0]!, streams.clocks[i]![0]!))
  // Updates of other clients each client has received (from the seen clock ranges).
  const delivered = () => {
    let n = 0
    clients.forEach((c, r) => ids.forEach((id, s) => s !== r && (n += countBelow(streams.clocks[s]!, c.seen(id)))))
    return n
  }
  const setupDeadline = Date.now() + 20_000
  while (clients.some((c) => c.acked < 1)) {
    if (Date.now() > setupDeadline) throw new Error(`${server.kind}: setup updates were not acknowledged within 20 s`)
    await sleep(5)
  }
  await sleep(200)

  const steps: SaturationStep[] = []
  let best = 0
  let stoppedBecause = 'reached the top of the ladder'
  for (const rate of o.rates) {
    const count = Math.round(rate * o.stepSeconds)
    const n = clients.length
    const firstIdx = clients.map((c) => c.sent)
    // Round-robin over clients; generate what this step needs before it starts.
    clients.forEach((c, i) => streams.ensure(i, c.sent + Math.ceil(count / n) + 1))
    const cpu0 = cpuSecondsOf(server.pid)
    const bench0 = process.cpuUsage()
    const delivered0 = delivered()
    const t0 = performance.now()
    const windowEnd = t0 + o.stepSeconds * 1000
    let issued = 0
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(count, Math.floor(((performance.now() - t0) * rate) / 1000))
        while (issued < due) {
          const i = issued % n
          const c = clients[i]!
          c.send(streams.updates[i]![c.sent]!, streams.clocks[i]![c.sent]!)
          issued++
        }
        if (issued >= count) resolve()
        else setTimeout(tick, 1)
      }
      tick()
    })
    const deliveredInWindow = () => delivered() - delivered0
    let deliveredWindow = -1
    const drainDeadline = windowEnd + o.drainSeconds * 1000
    while (clients.some((c) => c.acked < c.sent) && performance.now() < drainDeadline && !clients.some((c) => c.closed)) {
      if (deliveredWindow < 0 && performance.now() >= windowEnd) deliveredWindow = deliveredInWindow()
      await sleep(2)
    }
    if (deliveredWindow < 0) deliveredWindow = deliveredInWindow()
    const drained = clients.every((c) => c.acked === c.sent)
    const tDone = performance.now()
    const serverCpu = cpuSecondsOf(server.pid) - cpu0
    const benchCpu = process.cpuUsage(bench0)

    let inWindow = 0
    let lastAck = t0
    const lat: number[] = []
    clients.forEach((c, i) => {
      for (let k = firstIdx[i]!; k < c.sent; k++) {
        const a = c.ackTimes[k]
        if (a === undefined || k >= c.acked) continue
        if (a <= windowEnd) inWindow++
        if (a > lastAck) lastAck = a
        lat.push(a - c.sendTimes[k]!)
      }
    })
    const acked = lat.length
    const lats = summarize(lat)
    const busy = (tDone - t0) / 1000
    const step: SaturationStep = {
      offered: rate,
      acked_in_window: Math.round(inWindow / o.stepSeconds),
      completed_rate: drained ? Math.round(acked / ((lastAck - t0) / 1000)) : Math.round(acked / busy),
      ack_ms_p50: Math.round(lats.p50 * 100) / 100,
      ack_ms_p99: Math.round(lats.p99 * 100) / 100,
      delivered_per_client: Math.round(deliveredWindow / o.stepSeconds / n),
      fanned_out_in_window: Math.round(deliveredWindow / o.stepSeconds / Math.max(1, n - 1)),
      server_cpu_percent: Math.round((serverCpu / busy) * 100),
      bench_cpu_percent: Math.round(((benchCpu.user + benchCpu.system) / 1e6 / busy) * 100),
      drained,
    }
    steps.push(step)
    // Acknowledged and fanned out: Hocuspocus acknowledges before it broadcasts.
    const sustained = Math.min(step.acked_in_window, step.completed_rate, n > 1 ? step.fanned_out_in_window : Infinity)
    o.say(
      `${server.kind}: offered ${rate}/s → acked ${step.acked_in_window}/s in window, all acked at ${step.completed_rate}/s; ack p50 ${step.ack_ms_p50} ms p99 ${step.ack_ms_p99} ms; server CPU ${step.server_cpu_percent}%, bench CPU ${step.bench_cpu_percent}%${drained ? '' : ' (NOT drained)'}`,
    )
    const closed = clients.filter((c) => c.closed)
    if (closed.length > 0) {
      stoppedBecause = `${closed.length} connection(s) closed: ${closed[0]!.closed}`
      break
    }
    if (!drained) {
      best = Math.max(best, sustained)
      stoppedBecause = `backlog not drained within ${o.drainSeconds} s after the step`
      break
    }
    const grew = sustained > best * 1.05
    best = Math.max(best, sustained)
    if (sustained < rate * 0.9) {
      stoppedBecause = `acknowledged rate fell below 90% of offered at ${rate}/s`
      break
    }
    if (!grew && steps.length > 1) {
      stoppedBecause = `acknowledged rate stopped growing at ${rate}/s`
      break
    }
    await sleep(300)
  }
  const closedConnections = clients.filter((c) => c.closed).map((c) => c.closed!)
  for (const c of clients) c.ws.close()
  await sleep(100)
  return { updates_per_s_sustained: best, steps, stopped_because: stoppedBecause, closed_connections: closedConnections }
}
