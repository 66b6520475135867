/**
 * Appends: group commit, idempotent across `commit_unknown_result`, staged
 * when too large for one transaction.
 *
 * One transaction is in flight at a time; appends that arrive meanwhile wait
 * and go out together in the next (throughput from batching, and each room's
 * entries keep the order of the `append` calls). The transaction reads first
 * and then only writes: log parts and feed entries under versionstamped keys,
 * heads with versionstamped values. Blind versionstamped writes never
 * conflict with other appenders, whatever process they are in.
 *
 * Idempotence: every transaction carries a fresh append id and writes
 * `(P, 9, id) -> stamp` with the rest. A rerun (doTn reruns the body after
 * 1021, which may have committed) first reads that key — a serializable read,
 * so an earlier attempt still committing conflicts with it — and, finding
 * it, answers with the stamp already committed instead of appending again.
 * The read comes before the versionstamped writes because reading a key
 * written with a versionstamp in the same transaction fails (1036).
 */
import { randomBytes } from 'node:crypto'
import type { AppendInput, Cursor } from '../log/event-log.js'
import { fdbErrorCode, runTn, type FdbDatabase, type FdbLogger, type TnPolicy } from './binding.js'
import { partCount, splitValue } from './chunking.js'
import { cursorOf, STAMP_BYTES } from './cursor.js'
import { encodeEntry, entryOverhead, STAGE_ID_BYTES } from './entry-codec.js'
import { headValue, timeFromGlobalHead, versionstampedValue, type FdbKeys } from './keys.js'
import { writeBatched } from './pages.js'

/** One append is one transaction (or one publish), and a transaction numbers its entries with 2 bytes; far below that keeps the publish small. */
export const MAX_UPDATES_PER_APPEND = 4096
const MAX_ENTRIES_PER_TXN = 10_000
const APPEND_ID_TTL_MS = 60 * 60 * 1000
const SWEEP_EVERY_MS = 10 * 60 * 1000
/** Written over an append id whose transaction we gave up on: a late commit of it then conflicts and fails. */
const FENCE = Buffer.from([0xfe])

export class FdbCommitError extends Error {
  readonly code = 'fdb_commit_failed'
  constructor(
    message: string,
    readonly fdbCode: number | undefined,
    readonly outcome: 'not_appended' | 'unknown',
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export interface AppenderOptions {
  policy: TnPolicy
  /** Bytes of keys and values per transaction; a single append above it is staged. */
  maxTxnBytes: number
  maxValueBytes: number
  logger?: FdbLogger
}

interface Pending {
  room: string
  inputs: readonly AppendInput[]
  bytes: number
  resolve: (cursors: Cursor[]) => void
  reject: (e: unknown) => void
}

type Outcome = { stamp: Buffer } | { stampLater: { promise: Promise<Buffer> }; time: number }

export class GroupCommitter {
  private pending: Pending[] = []
  private running: Promise<void> | null = null
  private sweeping: Promise<void> | null = null
  private lastTime = 0
  private lastSweep = 0

  constructor(
    private readonly db: FdbDatabase,
    private readonly keys: FdbKeys,
    private readonly opts: AppenderOptions,
    private readonly onCommit: (heads: Map<string, Cursor>) => void,
  ) {}

  enqueue(room: string, inputs: readonly AppendInput[]): Promise<Cursor[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ room, inputs, bytes: this.estimate(room, inputs), resolve, reject })
      this.running ??= this.drain()
    })
  }

  /** Resolves when every queued append has settled. */
  async idle(): Promise<void> {
    while (this.running || this.sweeping) await Promise.all([this.running, this.sweeping])
  }

  private estimate(room: string, inputs: readonly AppendInput[]): number {
    const keyBytes = this.keys.prefix.length + Buffer.byteLength(room) + 24
    let bytes = 2 * keyBytes
    for (const { update, origin } of inputs) {
      const length = entryOverhead(origin) + update.length
      bytes += length + partCount(length, this.opts.maxValueBytes) * (keyBytes + 16) + keyBytes
    }
    return bytes
  }

  private async drain(): Promise<void> {
    // Appends made in the same turn of the event loop join the first transaction.
    await new Promise((resolve) => setImmediate(resolve))
    while (this.pending.length > 0) {
      const batch = this.take()
      try {
        const cursors = await this.commit(batch)
        batch.forEach((p, i) => p.resolve(cursors[i]!))
      } catch (e) {
        for (const p of batch) p.reject(e)
      }
    }
    this.running = null
  }

  private take(): Pending[] {
    const batch = [this.pending.shift()!]
    if (batch[0]!.bytes > this.opts.maxTxnBytes) return batch
    let bytes = batch[0]!.bytes
    let entries = batch[0]!.inputs.length
    for (let next = this.pending[0]; next; next = this.pending[0]) {
      if (bytes + next.bytes > this.opts.maxTxnBytes || entries + next.inputs.length > MAX_ENTRIES_PER_TXN) break
      bytes += next.bytes
      entries += next.inputs.length
      batch.push(this.pending.shift()!)
    }
    return batch
  }

  private async commit(batch: Pending[]): Promise<Cursor[][]> {
    let stageId: Buffer | undefined
    if (batch.length === 1 && batch[0]!.bytes > this.opts.maxTxnBytes) {
      try {
        stageId = await this.stage(batch[0]!)
      } catch (e) {
        throw new FdbCommitError(`append of ${batch[0]!.inputs.length} update(s) failed while staging: ${(e as Error).message}; nothing was appended`, fdbErrorCode(e), 'not_appended', { cause: e })
      }
    }
    const appendKey = this.keys.appendId(newAppendId(Date.now()))
    const count = batch.reduce((n, p) => n + p.inputs.length, 0)
    let outcome: Outcome
    try {
      outcome = await runTn(this.db, 'append', this.opts.policy, async (tn): Promise<Outcome> => {
        const [prior, head] = await Promise.all([tn.get(appendKey), tn.snapshot().get(this.keys.globalHead)])
        if (prior) return { stamp: committedStamp(prior) }
        // Feed time never decreases: not below our last append nor (up to clock skew between racing processes) the feed's.
        const time = Math.max(Date.now(), this.lastTime, timeFromGlobalHead(head))
        let code = 0
        const heads = new Map<string, number>()
        for (const p of batch) {
          const roomBytes = Buffer.from(p.room, 'utf8')
          p.inputs.forEach(({ update, origin }, index) => {
            const record = stageId ? { time, origin, staged: { stageId, index } } : { time, origin, update }
            splitValue(encodeEntry(record), this.opts.maxValueBytes).forEach((part, j) =>
              tn.setVersionstampedKeyRaw(this.keys.roomEntryVersionstamped(p.room, code, j), part),
            )
            tn.setVersionstampedKeyRaw(this.keys.feedVersionstamped(code), roomBytes)
            heads.set(p.room, code++)
          })
        }
        for (const [room, last] of heads) tn.setVersionstampedValueRaw(this.keys.roomHead(room), headValue(last))
        tn.setVersionstampedValueRaw(this.keys.globalHead, headValue(code - 1, time))
        const n = Buffer.alloc(4)
        n.writeUInt32BE(count)
        tn.setVersionstampedValueRaw(appendKey, versionstampedValue(n))
        return { stampLater: tn.getVersionstamp(), time }
      })
    } catch (e) {
      outcome = await this.settle(appendKey, count, e, stageId)
    }
    const stamp = 'stamp' in outcome ? outcome.stamp : await outcome.stampLater.promise
    if ('time' in outcome) this.lastTime = Math.max(this.lastTime, outcome.time)
    let code = 0
    const heads = new Map<string, Cursor>()
    const cursors = batch.map((p) => p.inputs.map(() => cursorOf(stamp, code++)))
    batch.forEach((p, i) => heads.set(p.room, cursors[i]![cursors[i]!.length - 1]!))
    this.onCommit(heads)
    this.maybeSweep()
    return cursors
  }

  /** Writes a large append's updates where no reader looks until the publish transaction points at them. */
  private async stage(p: Pending): Promise<Buffer> {
    const stageId = randomBytes(STAGE_ID_BYTES)
    const pairs: Array<[Buffer, Buffer]> = []
    p.inputs.forEach(({ update }, i) =>
      splitValue(update, this.opts.maxValueBytes).forEach((part, j) => pairs.push([this.keys.stage(stageId, i, j), part])),
    )
    await writeBatched(this.db, this.opts.policy, pairs, this.opts.maxTxnBytes)
    return stageId
  }

  /**
   * After the append's transaction failed for good: find out whether it
   * committed anyway, and if not make sure it never will (fence its id), so a
   * rejected append means nothing was appended.
   */
  private async settle(appendKey: Buffer, count: number, cause: unknown, stageId: Buffer | undefined): Promise<Outcome> {
    const code = fdbErrorCode(cause)
    const what = `append of ${count} update(s) failed: ${(cause as Error)?.message ?? String(cause)}${code === undefined ? '' : ` (FoundationDB error ${code})`}`
    if (code === undefined) throw cause
    let stamp: Buffer | null
    try {
      stamp = await runTn(this.db, 'append check', this.opts.policy, async (tn) => {
        const prior = await tn.get(appendKey)
        if (prior) return committedStamp(prior)
        tn.set(appendKey, FENCE)
        return null
      })
    } catch (e) {
      throw new FdbCommitError(`${what}; whether it was appended is unknown (the check failed: ${(e as Error).message})`, code, 'unknown', { cause })
    }
    if (stamp) {
      this.opts.logger?.warn('FoundationDB append committed although its transaction reported an error', { code, count })
      return { stamp }
    }
    if (stageId) void runTn(this.db, 'clear staged', this.opts.policy, async (tn) => tn.clearRange(this.keys.stageRange(stageId).begin, this.keys.stageRange(stageId).end)).catch(() => {})
    throw new FdbCommitError(`${what}; nothing was appended`, code, 'not_appended', { cause })
  }

  /** Append ids only matter while an append is being retried; old ones are cleared now and then. */
  private maybeSweep(): void {
    const now = Date.now()
    if (this.sweeping || now - this.lastSweep < SWEEP_EVERY_MS) return
    this.lastSweep = now
    const { begin, end } = this.keys.appendIdsBefore(newAppendId(now - APPEND_ID_TTL_MS).subarray(0, 6))
    this.sweeping = runTn(this.db, 'append id sweep', this.opts.policy, async (tn) => tn.clearRange(begin, end))
      .catch((e: unknown) => this.opts.logger?.warn('FoundationDB append id sweep failed', { error: (e as Error).message }))
      .finally(() => {
        this.sweeping = null
      })
  }
}

/** 6-byte big-endian ms time, then 10 random bytes: unique, and ordered by age for the sweep. */
export function newAppendId(time: number): Buffer {
  const id = randomBytes(16)
  id.writeUIntBE(Math.max(0, Math.floor(time)), 0, 6)
  return id
}

function committedStamp(prior: Buffer): Buffer {
  if (prior.length < STAMP_BYTES) throw new FdbCommitError('append id was fenced after a failed append and is being reused', undefined, 'unknown')
  return Buffer.from(prior.subarray(0, STAMP_BYTES))
}
