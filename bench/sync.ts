/**
 * `npm run bench -- sync`: the sync server against the servers people would
 * pick instead (issue 14, part 2): `@y/websocket-server` (0.1.1 with
 * y-leveldb) and Hocuspocus 4 (@hocuspocus/server with its SQLite extension,
 * driven by @hocuspocus/provider, its own protocol). Every server runs as a
 * child process on loopback with its own data folder and gets the same
 * workload in the same run (sync-servers.ts):
 *
 *  1. Latency, open loop, at each of BENCH_RATES (1,000 = 16 users at ~60 Hz,
 *     the realistic load; and 2,000) updates/s: 16 clients in one room (2 of
 *     the server's stock providers, 14 raw protocol clients), each moving its
 *     own 16 objects (half single-object drag steps, half 2–6 object moves in
 *     one transaction; every edit is one Yjs update). Measures edit → peer (at
 *     the providers), edit → ack (at the raw clients), for ours edit →
 *     projection, and the load generator's own lag (sync-latency.ts).
 *  2. Saturation: 16 raw protocol clients replay pre-generated edit streams
 *     (the same bytes for every server) at a rising ladder of offered rates
 *     until the acknowledged-and-fanned-out rate stops growing
 *     (sync-saturation.ts); `updates_per_s_sustained` is the best step. The
 *     ladder stops at the first step below 90% of offered, or growing < 5%.
 *  3. Memory: VmHWM (peak resident set) of each server right after the
 *     fixed-rate runs, when all have done exactly the same work.
 *  4. Crash: BENCH_CRASH_ROUNDS (5) SIGKILL rounds per server, the round of
 *     `bench durability` (sync-crash.ts): how many acknowledged updates a
 *     resynced client no longer finds.
 *
 * Units: one "update" is one Yjs update = one edit = one log entry (a
 * multi-object move is one update). The servers and the bench share the
 * machine's cores: absolute figures move with whatever else runs, so compare
 * the ratios of one run; the JSON carries the load average, each side's CPU
 * and the generator's lag so a noisy run can be recognised.
 *
 * Our server is started with `--updates-per-second` raised (BENCH_CONN_RATE_LIMIT,
 * default 1,000,000): the default per-connection limit (2,000/s, burst 4,000)
 * would close a saturation client for offering more than that, which is the
 * limit doing its job, not a throughput figure. Nothing else is changed.
 *
 * Environment: BENCH_CLIENTS (16), BENCH_PROVIDERS (2 of the latency-run
 * clients are stock providers, the rest raw), BENCH_OBJECTS_PER_CLIENT (16),
 * BENCH_RATES (comma list, default 1000,2000), BENCH_WARMUP_SECONDS (2),
 * BENCH_SECONDS (15, measured part of each latency run), BENCH_SAT_STEP_SECONDS
 * (3), BENCH_SAT_RATES (comma list; default 2000 × 1.25^k up to 60,000),
 * BENCH_DRAIN_SECONDS (8), BENCH_CRASH_ROUNDS (5; 0 to skip),
 * BENCH_CRASH_SETTLE_MS (1000), BENCH_SEED (1), BENCH_ONLY (comma list of
 * ours, y-websocket-server, hocuspocus), BENCH_SERVER_NODE_ARGS (extra node
 * flags for the server processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runCrashRounds, type CrashResult } from './sync-crash.js'
import { runLatency, type LatencyResult } from './sync-latency.js'
import { EditStreams, runSaturation, type SaturationResult } from './sync-saturation.js'
import { SERVER_KINDS, type ServerKind, type ServerProc, folderMb, memoryOf, startServer } from './sync-servers.js'
import { round } from './stats.js'

const say = (msg: string) => process.stderr.write(`[sync] ${msg}\n`)
const num = (name: string, dflt: number, min = 1e-9) => {
  const v = process.env[name]
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got ${JSON.stringify(v)}`)
  return n
}
const list = (name: string, dflt: number[]) => {
  const raw = process.env[name]
  if (!raw) return dflt
  const out = raw.split(',').map((s) => Number(s.trim()))
  if (out.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${name} must be a comma list of positive numbers, got ${JSON.stringify(raw)}`)
  return out
}

function ladder(): number[] {
  const out: number[] = []
  // Steps of 1.25×: at 1.5× two servers 20% apart stopped at the same step
  // (4,500 offered, 6,800 too much for both) and came out equal.
  for (let r = 2000; r <= 60_000; r *= 1.25) out.push(Math.round(r / 100) * 100)
  return list('BENCH_SAT_RATES', out)
}

function kinds(): ServerKind[] {
  const raw = process.env.BENCH_ONLY
  if (!raw) return [...SERVER_KINDS]
  const want = raw.split(',').map((s) => s.trim())
  for (const w of want) if (!SERVER_KINDS.includes(w as ServerKind)) throw new Error(`BENCH_ONLY: unknown server ${JSON.stringify(w)} (one of ${SERVER_KINDS.join(', ')})`)
  return SERVER_KINDS.filter((k) => want.includes(k))
}

interface Side {
  server: ServerProc
  idleRss: number
  latency: Map<number, LatencyResult>
  saturation: SaturationResult | null
  hwmFixedRate: number
  hwm: number
  dataMb: number
  crash: CrashResult | null
}

export async function runSync(): Promise<Record<string, unknown>> {
  const clients = Math.round(num('BENCH_CLIENTS', 16))
  const providers = Math.round(num('BENCH_PROVIDERS', 2, 0))
  const objectsPerClient = Math.round(num('BENCH_OBJECTS_PER_CLIENT', 16))
  const rates = list('BENCH_RATES', [1000, 2000])
  const warmupSeconds = num('BENCH_WARMUP_SECONDS', 2, 0)
  const seconds = num('BENCH_SECONDS', 15)
  const stepSeconds = num('BENCH_SAT_STEP_SECONDS', 3)
  const drainSeconds = num('BENCH_DRAIN_SECONDS', 8)
  const crashRounds = Math.round(num('BENCH_CRASH_ROUNDS', 5, 0))
  const settleMs = num('BENCH_CRASH_SETTLE_MS', 1000, 0)
  const seed = Math.round(num('BENCH_SEED', 1))
  const connRateLimit = Math.round(num('BENCH_CONN_RATE_LIMIT', 1_000_000))
  const satRates = ladder()
  const started = performance.now()
  const load0 = os.loadavg()
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-bench-sync-'))
  say(`data in ${base}; ${os.cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`)

  const sides = new Map<ServerKind, Side>()
  try {
    for (const k of kinds()) {
      const s = await startServer(k, path.join(base, k), { updatesPerSecond: connRateLimit })
      say(`${k}: ${s.label}, pid ${s.pid}, ${s.url}`)
      sides.set(k, { server: s, idleRss: memoryOf(s.pid).rss, latency: new Map(), saturation: null, hwmFixedRate: 0, hwm: 0, dataMb: 0, crash: null })
    }

    for (const rate of rates) {
      for (const x of sides.values()) {
        const s = x.server
        const r = await runLatency(s, `bench-latency-${rate}`, { clients, providers, objectsPerClient, rate, warmupSeconds, seconds, seed, say })
        x.latency.set(rate, r)
        say(
          `${s.kind} at ${rate}/s: edit→peer p50 ${round(r.edit_to_peer_ms.p50)} ms p99 ${round(r.edit_to_peer_ms.p99)} ms (n ${r.edit_to_peer_ms.n})` +
            `; edit→ack p50 ${round(r.edit_to_ack_ms.p50)} ms p99 ${round(r.edit_to_ack_ms.p99)} ms` +
            (r.edit_to_projection_ms ? `; edit→projection p50 ${round(r.edit_to_projection_ms.p50)} ms p99 ${round(r.edit_to_projection_ms.p99)} ms` : '') +
            `; achieved ${r.achieved_rate}/s; generator lag p99 ${round(r.generator_lag_ms.p99)} ms; server CPU ${r.server_cpu_percent}%, bench CPU ${r.bench_cpu_percent}%`,
        )
      }
    }
    for (const x of sides.values()) x.hwmFixedRate = memoryOf(x.server.pid).hwm

    say(`generating the saturation edit streams as needed (${clients} editors, ${objectsPerClient} objects each)`)
    const streams = new EditStreams(clients, objectsPerClient, seed)
    for (const x of sides.values()) {
      x.saturation = await runSaturation(x.server, 'bench-saturation', streams, { rates: satRates, stepSeconds, drainSeconds, say })
      say(`${x.server.kind}: sustained ${x.saturation.updates_per_s_sustained} updates/s (${x.saturation.stopped_because})`)
    }

    for (const x of sides.values()) {
      if (x.server.exited()) throw new Error(`${x.server.kind} server exited during the run:\n${x.server.tail().join('\n')}`)
      x.hwm = memoryOf(x.server.pid).hwm
      await x.server.stop()
      x.dataMb = folderMb(x.server.dataDir)
    }

    if (crashRounds > 0) {
      for (const [k, x] of sides) {
        x.crash = await runCrashRounds(k, path.join(base, `${k}-crash`), { rounds: crashRounds, clients: 3, seed, settleMs, updatesPerSecond: connRateLimit, say })
        say(`${k}: crash rounds: ${x.crash.acked} acknowledged, ${x.crash.acked_then_lost} of them lost`)
      }
    }

    const at = (x: Side, rate: number) => x.latency.get(rate)
    const figures = (x: Side) => {
      const out: Record<string, unknown> = { name: x.server.label, updates_per_s_sustained: x.saturation?.updates_per_s_sustained ?? null }
      for (const rate of rates) {
        const l = at(x, rate)!
        out[`edit_to_peer_ms_p50_at_${rate}`] = round(l.edit_to_peer_ms.p50)
        out[`edit_to_peer_ms_p99_at_${rate}`] = round(l.edit_to_peer_ms.p99)
      }
      out.server_rss_mb = round(x.hwmFixedRate, 1)
      out.crash = x.crash ? { rounds: x.crash.rounds, acked: x.crash.acked, acked_then_lost: x.crash.acked_then_lost } : null
      return out
    }
    const detail = (x: Side) => ({
      latency_runs: Object.fromEntries(
        [...x.latency].map(([rate, l]) => [
          String(rate),
          {
            achieved_rate: l.achieved_rate,
            measured_edits: l.measured_edits,
            transforms_per_edit: l.transforms_per_edit,
            edit_to_peer_ms_max: round(l.edit_to_peer_ms.max),
            edit_to_peer_samples: l.edit_to_peer_ms.n,
            undelivered_pairs: l.undelivered_pairs,
            edit_to_ack_ms_p50: round(l.edit_to_ack_ms.p50),
            edit_to_ack_ms_p99: round(l.edit_to_ack_ms.p99),
            unacked_edits: l.unacked_edits,
            generator_lag_ms_p50: round(l.generator_lag_ms.p50),
            generator_lag_ms_p99: round(l.generator_lag_ms.p99),
            server_cpu_percent: l.server_cpu_percent,
            bench_cpu_percent: l.bench_cpu_percent,
            disconnects: l.disconnects,
            closed_connections: l.closed_connections,
            ...(l.edit_to_projection_ms
              ? {
                  edit_to_projection_ms_p50: round(l.edit_to_projection_ms.p50),
                  edit_to_projection_ms_p99: round(l.edit_to_projection_ms.p99),
                  unprojected_edits: l.unprojected_edits,
                }
              : {}),
          },
        ]),
      ),
      saturation_run: x.saturation ? { stopped_because: x.saturation.stopped_because, closed_connections: x.saturation.closed_connections, steps: x.saturation.steps } : null,
      crash_run: x.crash,
      idle_rss_mb: round(x.idleRss, 1),
      rss_mb_peak_incl_saturation: round(x.hwm, 1),
      data_folder_mb: round(x.dataMb, 1),
      warnings: x.server.warnings().slice(0, 5),
    })

    const ours = sides.get('ours')
    const peers = [...sides].filter(([k]) => k !== 'ours')
    const best = peers.reduce<[ServerKind, Side] | null>((b, p) => ((p[1].saturation?.updates_per_s_sustained ?? 0) > (b?.[1].saturation?.updates_per_s_sustained ?? -1) ? p : b), null)
    const oursSat = ours?.saturation?.updates_per_s_sustained
    const bestSat = best?.[1].saturation?.updates_per_s_sustained
    const ratio = oursSat !== undefined && bestSat ? round(oursSat / bestSat, 3) : null
    const p99At1000 = ours && at(ours, 1000) ? round(at(ours, 1000)!.edit_to_peer_ms.p99) : null
    const lag = (x: Side) => Object.fromEntries([...x.latency].map(([rate, l]) => [`at_${rate}`, { p50: round(l.generator_lag_ms.p50), p99: round(l.generator_lag_ms.p99), bench_cpu_percent: l.bench_cpu_percent }]))
    return {
      bench: 'sync',
      clients,
      stock_providers: providers,
      objects: clients * objectsPerClient,
      rates,
      ratio_throughput_vs_best_peer: ratio,
      best_peer: best ? best[0] : null,
      edit_to_peer_ms_p99_at_1000: p99At1000,
      ...(ours
        ? {
            ours: {
              ...figures(ours),
              ...(at(ours, 1000)?.edit_to_projection_ms ? { edit_to_projection_ms_p99_at_1000: round(at(ours, 1000)!.edit_to_projection_ms!.p99) } : {}),
            },
          }
        : {}),
      peers: Object.fromEntries(peers.map(([k, x]) => [k, figures(x)])),
      targets: {
        ratio_throughput_vs_best_peer_ge_2: ratio === null ? null : ratio >= 2,
        edit_to_peer_ms_p99_at_1000_le_10: p99At1000 === null ? null : p99At1000 <= 10,
        ours_acked_then_lost_0: ours?.crash ? ours.crash.acked_then_lost === 0 : null,
      },
      load_generator_lag_ms: Object.fromEntries([...sides].map(([k, x]) => [k, lag(x)])),
      machine: { cores: os.cpus().length, loadavg_start: load0.map((l) => round(l)), loadavg_end: os.loadavg().map((l) => round(l)) },
      detail: Object.fromEntries([...sides].map(([k, x]) => [k, detail(x)])),
      seconds: round((performance.now() - started) / 1000, 1),
    }
  } finally {
    for (const x of sides.values()) await x.server.stop().catch(() => {})
    fs.rmSync(base, { recursive: true, force: true })
  }
}
