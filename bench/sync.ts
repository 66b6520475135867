/**
 * `npm run bench -- sync`: the sync server against `@y/websocket-server`
 * (issue 3, "Benchmark"). Both servers run as child processes on loopback,
 * each with a fresh data folder, and get the same workload in the same run:
 *
 *  1. Latency, open loop: 16 clients in one room (2 stock y-websocket v3
 *     providers, 14 raw protocol clients), each moving its own 16 objects
 *     (half single-object drag steps, half 2–6 object moves in one
 *     transaction; every edit is one Yjs update), at a fixed offered total of
 *     BENCH_RATE (2,000) updates/s. Measures edit → peer (at the providers),
 *     edit → ack (own update back, at the raw clients) and, for ours,
 *     edit → projection (sync-latency.ts).
 *  2. Saturation: 16 raw protocol clients replay pre-generated edit streams
 *     (the same bytes for both servers) at a rising ladder of offered rates
 *     until the acknowledged rate (own update echoed back) stops growing
 *     (sync-saturation.ts). A step's rate is the smaller of the acks received
 *     inside its window per second and its updates over the time until the
 *     last was acknowledged; `updates_per_s_sustained` is the best step. The
 *     ladder stops at the first step below 90% of offered, or growing < 5%.
 *  3. Memory: VmHWM (peak resident set) of each server process read right
 *     after the fixed-rate run, when both have done exactly the same work
 *     (`server_rss_mb`); the peak after the saturation ladder is in the
 *     detail (it depends on how far each server got and on its backlogs).
 *
 * Units: one "update" is one Yjs update = one edit = one log entry (a
 * multi-object move is one update). Both servers and the bench share the
 * machine's cores: figures move with whatever else runs; the JSON carries the
 * load average and each side's CPU so a noisy run can be recognised.
 *
 * Our server is started with `--updates-per-second` raised (BENCH_CONN_RATE_LIMIT,
 * default 1,000,000): the default per-connection limit (2,000/s, burst 4,000)
 * would close a saturation client for offering more than that, which is the
 * limit doing its job, not a throughput figure. Nothing else is changed.
 *
 * Environment: BENCH_CLIENTS (16), BENCH_PROVIDERS (2 of the 16 latency-run
 * clients are stock providers, the rest raw), BENCH_OBJECTS_PER_CLIENT (16), BENCH_RATE
 * (2000), BENCH_WARMUP_SECONDS (2), BENCH_SECONDS (15, measured part of the
 * latency run), BENCH_SAT_STEP_SECONDS (3), BENCH_SAT_RATES (comma list;
 * default 2000 × 1.5^k up to 60,000), BENCH_DRAIN_SECONDS (8), BENCH_SEED (1),
 * BENCH_ONLY (ours|peer, to run one side), BENCH_SERVER_NODE_ARGS (extra node
 * flags for the server processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runLatency, type LatencyResult } from './sync-latency.js'
import { EditStreams, runSaturation, type SaturationResult } from './sync-saturation.js'
import { type ServerProc, folderMb, memoryOf, peerPersistenceVersion, startOurs, startPeer } from './sync-servers.js'
import { round } from './stats.js'

const say = (msg: string) => process.stderr.write(`[sync] ${msg}\n`)
const num = (name: string, dflt: number) => {
  const v = process.env[name]
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(v)}`)
  return n
}

function ladder(): number[] {
  const raw = process.env.BENCH_SAT_RATES
  if (raw) return raw.split(',').map((s) => Number(s.trim())).filter((n) => Number.isFinite(n) && n > 0)
  const out: number[] = []
  for (let r = 2000; r <= 60_000; r *= 1.5) out.push(Math.round(r / 100) * 100)
  return out
}

interface SideResult {
  server: ServerProc
  idleRss: number
  latency: LatencyResult
  saturation: SaturationResult
  /** VmHWM after the fixed-rate run: both servers have had exactly the same work. */
  hwmFixedRate: number
  /** VmHWM at the end, after the saturation ladder (depends on how far each got and its backlogs). */
  hwm: number
  dataMb: number
}

export async function runSync(): Promise<Record<string, unknown>> {
  const clients = Math.round(num('BENCH_CLIENTS', 16))
  const providers = Math.round(num('BENCH_PROVIDERS', 2))
  const objectsPerClient = Math.round(num('BENCH_OBJECTS_PER_CLIENT', 16))
  const rate = num('BENCH_RATE', 2000)
  const warmupSeconds = num('BENCH_WARMUP_SECONDS', 2)
  const seconds = num('BENCH_SECONDS', 15)
  const stepSeconds = num('BENCH_SAT_STEP_SECONDS', 3)
  const drainSeconds = num('BENCH_DRAIN_SECONDS', 8)
  const seed = Math.round(num('BENCH_SEED', 1))
  const connRateLimit = Math.round(num('BENCH_CONN_RATE_LIMIT', 1_000_000))
  const only = process.env.BENCH_ONLY
  const rates = ladder()
  const started = performance.now()
  const load0 = os.loadavg()
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-bench-sync-'))
  say(`data in ${base}; ${os.cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`)

  const servers: ServerProc[] = []
  try {
    const kinds = (['ours', 'peer'] as const).filter((k) => !only || only === k)
    for (const k of kinds) {
      const s = k === 'ours' ? await startOurs(base, connRateLimit) : await startPeer(base)
      servers.push(s)
      say(`${k}: ${s.label}, pid ${s.pid}, ${s.url}`)
    }
    const idle = new Map(servers.map((s) => [s, memoryOf(s.pid).rss]))

    const latency = new Map<ServerProc, LatencyResult>()
    for (const s of servers) {
      const r = await runLatency(s, 'bench-latency', { clients, providers, objectsPerClient, rate, warmupSeconds, seconds, seed, say })
      latency.set(s, r)
      say(
        `${s.kind}: edit→peer p50 ${round(r.edit_to_peer_ms.p50)} ms p99 ${round(r.edit_to_peer_ms.p99)} ms (n ${r.edit_to_peer_ms.n})` +
          `; edit→ack p50 ${round(r.edit_to_ack_ms.p50)} ms p99 ${round(r.edit_to_ack_ms.p99)} ms` +
          (r.edit_to_projection_ms ? `; edit→projection p50 ${round(r.edit_to_projection_ms.p50)} ms p99 ${round(r.edit_to_projection_ms.p99)} ms` : '') +
          `; achieved ${r.achieved_rate}/s; server CPU ${r.server_cpu_percent}%, bench CPU ${r.bench_cpu_percent}%`,
      )
    }

    const hwmFixedRate = new Map(servers.map((s) => [s, memoryOf(s.pid).hwm]))

    say(`generating the saturation edit streams as needed (${clients} editors, ${objectsPerClient} objects each)`)
    const streams = new EditStreams(clients, objectsPerClient, seed)
    const saturation = new Map<ServerProc, SaturationResult>()
    for (const s of servers) {
      saturation.set(s, await runSaturation(s, 'bench-saturation', streams, { rates, stepSeconds, drainSeconds, say }))
      say(`${s.kind}: sustained ${saturation.get(s)!.updates_per_s_sustained} updates/s (${saturation.get(s)!.stopped_because})`)
    }

    const sides = new Map<string, SideResult>()
    for (const s of servers) {
      if (s.exited()) throw new Error(`${s.kind} server exited during the run:\n${s.tail().join('\n')}`)
      sides.set(s.kind, {
        server: s,
        idleRss: idle.get(s)!,
        latency: latency.get(s)!,
        saturation: saturation.get(s)!,
        hwmFixedRate: hwmFixedRate.get(s)!,
        hwm: memoryOf(s.pid).hwm,
        dataMb: 0,
      })
    }
    for (const s of servers) await s.stop()
    for (const x of sides.values()) x.dataMb = folderMb(x.server.dataDir)

    const ours = sides.get('ours')
    const peer = sides.get('peer')
    const figures = (x: SideResult) => ({
      updates_per_s_sustained: x.saturation.updates_per_s_sustained,
      edit_to_peer_ms_p50: round(x.latency.edit_to_peer_ms.p50),
      edit_to_peer_ms_p99: round(x.latency.edit_to_peer_ms.p99),
      server_rss_mb: round(x.hwmFixedRate, 1),
    })
    const detail = (x: SideResult) => ({
      server: x.server.label,
      latency_run: {
        offered_rate: x.latency.offered_rate,
        achieved_rate: x.latency.achieved_rate,
        measured_edits: x.latency.measured_edits,
        transforms_per_edit: x.latency.transforms_per_edit,
        edit_to_peer_ms_max: round(x.latency.edit_to_peer_ms.max),
        edit_to_peer_samples: x.latency.edit_to_peer_ms.n,
        undelivered_pairs: x.latency.undelivered_pairs,
        edit_to_ack_ms_p50: round(x.latency.edit_to_ack_ms.p50),
        edit_to_ack_ms_p99: round(x.latency.edit_to_ack_ms.p99),
        unacked_edits: x.latency.unacked_edits,
        generator_lag_ms_p99: round(x.latency.generator_lag_ms.p99),
        server_cpu_percent: x.latency.server_cpu_percent,
        bench_cpu_percent: x.latency.bench_cpu_percent,
        disconnects: x.latency.disconnects,
        closed_connections: x.latency.closed_connections,
        ...(x.latency.edit_to_projection_ms
          ? { edit_to_projection_ms_max: round(x.latency.edit_to_projection_ms.max), projection_samples: x.latency.edit_to_projection_ms.n, unprojected_edits: x.latency.unprojected_edits }
          : {}),
      },
      saturation_run: {
        stopped_because: x.saturation.stopped_because,
        closed_connections: x.saturation.closed_connections,
        steps: x.saturation.steps,
      },
      idle_rss_mb: round(x.idleRss, 1),
      rss_mb_peak_incl_saturation: round(x.hwm, 1),
      data_folder_mb: round(x.dataMb, 1),
      warnings: x.server.warnings().slice(0, 5),
    })
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? round(a / b, 3) : null)
    const o = ours ? figures(ours) : undefined
    const p = peer ? figures(peer) : undefined
    const out: Record<string, unknown> = {
      bench: 'sync',
      clients,
      stock_providers: providers,
      objects: clients * objectsPerClient,
      offered_rate: rate,
      ...(o ?? {}),
      ...(ours?.latency.edit_to_projection_ms
        ? { edit_to_projection_ms_p50: round(ours.latency.edit_to_projection_ms.p50), edit_to_projection_ms_p99: round(ours.latency.edit_to_projection_ms.p99) }
        : {}),
      peer: p ? { name: `@y/websocket-server@0.1.1 + ${peerPersistenceVersion()}`, ...p } : null,
      ratio_throughput: ratio(o?.updates_per_s_sustained, p?.updates_per_s_sustained),
      ratio_p99_edit_to_peer: ratio(o?.edit_to_peer_ms_p99, p?.edit_to_peer_ms_p99),
      ratio_rss: ratio(o?.server_rss_mb, p?.server_rss_mb),
      targets: o
        ? {
            updates_per_s_sustained_ge_20000: o.updates_per_s_sustained >= 20_000,
            edit_to_peer_ms_p99_le_15: o.edit_to_peer_ms_p99 <= 15,
            ahead_of_peer_throughput: p ? o.updates_per_s_sustained > p.updates_per_s_sustained : null,
            ahead_of_peer_p99: p ? o.edit_to_peer_ms_p99 < p.edit_to_peer_ms_p99 : null,
          }
        : null,
      detail: { ...(ours ? { ours: detail(ours) } : {}), ...(peer ? { peer: detail(peer) } : {}) },
      machine: { cores: os.cpus().length, loadavg_start: load0.map((l) => round(l)), loadavg_end: os.loadavg().map((l) => round(l)) },
      seconds: round((performance.now() - started) / 1000, 1),
    }
    return out
  } finally {
    for (const s of servers) await s.stop().catch(() => {})
    fs.rmSync(base, { recursive: true, force: true })
  }
}
