/**
 * A fault-injecting, in-memory double of the slice of the `foundationdb`
 * binding the log uses (`FdbDatabase`). It lives only in test/ and stands in
 * for FoundationDB nowhere else.
 *
 * What it models, because the log's correctness depends on it:
 * - keys ordered as bytes (the log packs them with fdb-tuple), MVCC reads at
 *   a read version, read-your-writes, snapshot reads without conflicts;
 * - optimistic concurrency: a commit whose (non-snapshot) reads overlap a
 *   later commit's writes fails with 1020 not_committed;
 * - versionstamped keys and values (raw form: uint32 LE offset at the end),
 *   one 10-byte stamp per commit, and 1036 accessed_unreadable for reads of
 *   what the transaction itself wrote with a versionstamp;
 * - doTn's retry loop (retryable: 1007, 1009, 1020, 1021, 1037, 1213), its
 *   retry_limit and timeout (1031, not retried);
 * - FoundationDB's hard limits (key 10,000 B, value 100,000 B, transaction
 *   10,000,000 B);
 * - faults: any error code at a read or a commit, 1021 whose transaction did
 *   commit, did not, or commits late (after the retry has read); watches that
 *   resolve false or never fire; and seeded random faults.
 */
import type { FdbDatabase, FdbTransaction, FdbTransactionOptions, FdbWatch } from '../../src/fdb/binding.js'
import { after, FakeFdbError, FakeTransaction, hex, overlaps, RETRYABLE, type Op } from './fake-transaction.js'

export { FakeFdbError }

export interface TnInfo {
  attempt: number
  writes: number
  versionstamped: number
  reads: number
}

export type Fault =
  /** committed: 'late' lands at the next read anyone makes; 'held' lands when the test calls releaseHeld(). */
  | { at: 'commit'; code: number; committed?: boolean | 'late' | 'held'; match?: (t: TnInfo) => boolean }
  | { at: 'read'; code: number; match?: (t: TnInfo) => boolean }

/** mulberry32: small, seedable, good enough to pick faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface ChaosOptions {
  seed: number
  /** Chance that a writing commit fails (with a random code and outcome). */
  commitRate: number
  /** Chance that a read fails with 1007. */
  readRate: number
}

export class FakeFdb implements FdbDatabase {
  private sorted: string[] = []
  private readonly data = new Map<string, Array<{ v: number; value: Buffer | null }>>()
  private readonly history: Array<{ v: number; ranges: Array<[string, string]> }> = []
  private readonly faults: Array<Fault & { times: number }> = []
  private readonly watchers = new Set<{ key: string; seen: string | null; resolve: (changed: boolean) => void }>()
  private lateCommit: (() => void) | null = null
  private held: Array<() => boolean> = []
  private chaosRandom: (() => number) | null = null
  private chaos: ChaosOptions | null = null
  version = 1_000_000
  watchMode: 'normal' | 'never' | 'false' = 'normal'
  readonly stats = { commits: 0, attempts: 0, maxTxnBytes: 0, maxValueBytes: 0, watches: 0, injected: 0, randomFaults: 0, conflicts: 0 }

  /** Queues a fault for the next `times` matching reads or writing commits. */
  inject(fault: Fault, times = 1): void {
    this.faults.push({ ...fault, times })
  }

  clearFaults(): void {
    this.faults.length = 0
    this.chaos = null
    this.chaosRandom = null
  }

  setChaos(opts: ChaosOptions): void {
    this.chaos = opts
    this.chaosRandom = seededRandom(opts.seed)
  }

  async doTn<T>(body: (tn: FdbTransaction) => Promise<T>, opts: FdbTransactionOptions = {}): Promise<T> {
    const start = Date.now()
    for (let attempt = 1; ; attempt++) {
      this.stats.attempts++
      const tn = new FakeTransaction(this, attempt, start, opts.timeout)
      try {
        const result = await body(tn)
        await tn.commit()
        return result
      } catch (e) {
        tn.failed(e)
        if (!(e instanceof FakeFdbError) || !RETRYABLE.has(e.code)) throw e
        if (opts.retry_limit !== undefined && attempt - 1 >= opts.retry_limit) throw e
        if (opts.timeout !== undefined && Date.now() - start >= opts.timeout) throw new FakeFdbError(1031)
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
  }

  async getAndWatch(key: Buffer): Promise<FdbWatch & { value: Buffer | undefined }> {
    return this.doTn(async (tn) => {
      const value = (await tn.get(key)) ?? undefined
      return Object.assign(this.watch(hex(key), value ? hex(value) : null), { value })
    })
  }

  close(): void {
    for (const w of this.watchers) w.resolve(false)
    this.watchers.clear()
  }

  /** Keys currently stored under `prefix` (tests look at the layout). */
  keysUnder(prefix: Buffer): Buffer[] {
    const p = hex(prefix)
    return this.sorted.filter((k) => k.startsWith(p) && this.valueAt(k, this.version) !== null).map((k) => Buffer.from(k, 'hex'))
  }

  /** Raw read of the latest value (tests corrupt or inspect values). */
  peek(key: Buffer): Buffer | null {
    return this.valueAt(hex(key), this.version)
  }

  /** Raw write outside any transaction (tests corrupt values). */
  poke(key: Buffer, value: Buffer | null): void {
    this.version++
    this.put(hex(key), value, this.version)
    this.history.push({ v: this.version, ranges: [[hex(key), after(hex(key))]] })
  }

  // ---- used by FakeTransaction ----

  takeFault(at: 'read' | 'commit', info: TnInfo): Fault | null {
    const i = this.faults.findIndex((f) => f.at === at && (f.match ? f.match(info) : at === 'read' || info.writes > 0))
    if (i >= 0) {
      const f = this.faults[i]!
      if (--f.times <= 0) this.faults.splice(i, 1)
      this.stats.injected++
      return f
    }
    const rnd = this.chaosRandom
    if (!rnd || !this.chaos) return null
    if (at === 'read' && rnd() < this.chaos.readRate) {
      this.stats.randomFaults++
      return { at: 'read', code: 1007 }
    }
    if (at === 'commit' && info.writes > 0 && rnd() < this.chaos.commitRate) {
      this.stats.randomFaults++
      const pick: Fault[] = [
        { at: 'commit', code: 1020 },
        { at: 'commit', code: 1021, committed: true },
        { at: 'commit', code: 1021, committed: false },
        { at: 'commit', code: 1021, committed: 'late' },
        { at: 'commit', code: 1007 },
        { at: 'commit', code: 1031, committed: false },
        { at: 'commit', code: 1031, committed: true },
      ]
      return pick[Math.floor(rnd() * pick.length)]!
    }
    return null
  }

  afterRead(): void {
    const late = this.lateCommit
    this.lateCommit = null
    late?.()
  }

  setLate(apply: () => boolean, held: boolean): void {
    if (held) {
      this.held.push(apply)
      return
    }
    this.afterRead()
    this.lateCommit = () => void apply()
  }

  /** Lands the commits held in flight; returns how many of them did not conflict. */
  releaseHeld(): number {
    const held = this.held
    this.held = []
    return held.filter((apply) => apply()).length
  }

  valueAt(key: string, v: number): Buffer | null {
    const versions = this.data.get(key)
    if (!versions) return null
    for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.v <= v) return versions[i]!.value
    return null
  }

  keysIn(begin: string, end: string): string[] {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.sorted[mid]! < begin) lo = mid + 1
      else hi = mid
    }
    const out: string[] = []
    for (let i = lo; i < this.sorted.length && this.sorted[i]! < end; i++) out.push(this.sorted[i]!)
    return out
  }

  conflicts(readVersion: number | null, reads: Array<[string, string]>): boolean {
    if (readVersion === null || reads.length === 0) return false
    const conflict = this.history.some((h) => h.v > readVersion && h.ranges.some((w) => reads.some((r) => overlaps(r, w))))
    if (conflict) this.stats.conflicts++
    return conflict
  }

  /** Applies a commit's mutations at a new version; returns its 10-byte stamp. */
  apply(ops: Op[]): Buffer {
    this.version += 1 + Math.floor((this.chaosRandom?.() ?? 0.5) * 8)
    const v = this.version
    const stamp = Buffer.alloc(10)
    stamp.writeBigUInt64BE(BigInt(v), 0)
    stamp.writeUInt16BE(this.stats.commits % 3, 8)
    const ranges: Array<[string, string]> = []
    for (const op of ops) {
      if (op.type === 'set') {
        this.put(op.key, op.value, v)
        ranges.push([op.key, after(op.key)])
      } else if (op.type === 'clear') {
        for (const k of this.keysIn(op.begin, op.end)) if (this.valueAt(k, v) !== null) this.put(k, null, v)
        ranges.push([op.begin, op.end])
      } else if (op.type === 'vskey') {
        const key = Buffer.from(op.template)
        stamp.copy(key, op.offset)
        this.put(hex(key), op.value, v)
        ranges.push([hex(key), after(hex(key))])
      } else {
        const value = Buffer.from(op.template)
        stamp.copy(value, op.offset)
        this.put(op.key, value, v)
        ranges.push([op.key, after(op.key)])
      }
    }
    this.history.push({ v, ranges })
    this.stats.commits++
    for (const w of [...this.watchers]) {
      const now = this.valueAt(w.key, v)
      if ((now ? hex(now) : null) !== w.seen) {
        this.watchers.delete(w)
        w.resolve(true)
      }
    }
    return stamp
  }

  private put(key: string, value: Buffer | null, v: number): void {
    let versions = this.data.get(key)
    if (!versions) {
      this.data.set(key, (versions = []))
      const i = this.keysIn('', key).length
      this.sorted.splice(i, 0, key)
    }
    versions.push({ v, value })
  }

  private watch(key: string, seen: string | null): FdbWatch {
    this.stats.watches++
    let resolve!: (changed: boolean) => void
    const promise = new Promise<boolean>((r) => (resolve = r))
    const entry = { key, seen, resolve }
    if (this.watchMode === 'false') setImmediate(() => resolve(false))
    else if (this.watchMode === 'normal') this.watchers.add(entry)
    return {
      promise,
      cancel: () => {
        this.watchers.delete(entry)
        resolve(false)
      },
    }
  }
}

