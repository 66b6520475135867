/**
 * One transaction of the FoundationDB double (see fake-fdb.ts): MVCC reads at
 * its read version with its own writes on top, conflict ranges for
 * serializable reads, versionstamped mutations in the binding's raw form,
 * 1036 for reads of what it wrote with a versionstamp, FoundationDB's size
 * limits, and the injected commit outcomes.
 */
import type { FdbRangeOptions, FdbReadTransaction, FdbTransaction } from '../../src/fdb/binding.js'
import type { FakeFdb, TnInfo } from './fake-fdb.js'

export class FakeFdbError extends Error {
  constructor(
    readonly code: number,
    what = NAMES[code] ?? 'error',
  ) {
    super(`${what} (${code})`)
  }
}

const NAMES: Record<number, string> = {
  1007: 'transaction_too_old',
  1020: 'not_committed',
  1021: 'commit_unknown_result',
  1031: 'transaction_timed_out',
  1036: 'accessed_unreadable',
  2021: 'no_commit_version',
  2101: 'transaction_too_large',
  2102: 'key_too_large',
  2103: 'value_too_large',
}
export const RETRYABLE = new Set([1007, 1009, 1020, 1021, 1037, 1213])
const KEY_LIMIT = 10_000
const VALUE_LIMIT = 100_000
const TXN_LIMIT = 10_000_000

export type Op =
  | { type: 'set'; key: string; value: Buffer }
  | { type: 'clear'; begin: string; end: string }
  | { type: 'vskey'; template: Buffer; offset: number; value: Buffer }
  | { type: 'vsvalue'; key: string; template: Buffer; offset: number }

export const hex = (b: Buffer): string => b.toString('hex')
export const after = (k: string): string => `${k}00`

function strinc(b: Buffer): Buffer {
  let end = b.length
  while (end > 0 && b[end - 1] === 0xff) end--
  if (end === 0) return Buffer.from([0xff])
  const out = Buffer.from(b.subarray(0, end))
  out[end - 1]!++
  return out
}

export const overlaps = (a: [string, string], b: [string, string]): boolean => a[0] < b[1] && b[0] < a[1]

export class FakeTransaction implements FdbTransaction {
  private readVersion: number | null = null
  private readonly ops: Op[] = []
  private readonly reads: Array<[string, string]> = []
  private readonly unreadable: Array<[string, string]> = []
  private bytes = 0
  private readCount = 0
  private versionstamped = 0
  private readonly stamp: { promise: Promise<Buffer>; resolve: (b: Buffer) => void; reject: (e: unknown) => void }

  constructor(
    private readonly db: FakeFdb,
    private readonly attempt: number,
    private readonly start: number,
    private readonly timeout: number | undefined,
  ) {
    let resolve!: (b: Buffer) => void
    let reject!: (e: unknown) => void
    const promise = new Promise<Buffer>((res, rej) => ((resolve = res), (reject = rej)))
    promise.catch(() => {})
    this.stamp = { promise, resolve, reject }
  }

  private info(): TnInfo {
    return { attempt: this.attempt, writes: this.ops.length, versionstamped: this.versionstamped, reads: this.readCount }
  }

  private checkTimeout(): void {
    if (this.timeout !== undefined && Date.now() - this.start >= this.timeout) throw new FakeFdbError(1031)
  }

  private async beforeRead(range: [string, string], snapshot: boolean): Promise<void> {
    await Promise.resolve()
    this.checkTimeout()
    const fault = this.db.takeFault('read', this.info())
    if (fault) throw new FakeFdbError(fault.code)
    if (this.unreadable.some((u) => overlaps(u, range))) throw new FakeFdbError(1036)
    this.readVersion ??= this.db.version
    this.readCount++
    if (!snapshot) this.reads.push(range)
  }

  /** The value of `key` as this transaction sees it: its own writes over the database at its read version. */
  private visible(key: string): Buffer | null {
    let value = this.db.valueAt(key, this.readVersion!)
    for (const op of this.ops) {
      if (op.type === 'set' && op.key === key) value = op.value
      else if (op.type === 'clear' && op.begin <= key && key < op.end) value = null
    }
    return value
  }

  async doGet(key: Buffer, snapshot: boolean): Promise<Buffer | undefined> {
    const k = hex(key)
    await this.beforeRead([k, after(k)], snapshot)
    const value = this.visible(k)
    this.db.afterRead()
    return value ? Buffer.from(value) : undefined
  }

  async doRange(begin: Buffer, end: Buffer, opts: FdbRangeOptions, snapshot: boolean): Promise<Array<[Buffer, Buffer]>> {
    const b = hex(begin)
    const e = hex(end)
    await this.beforeRead([b, e], snapshot)
    const keys = new Set(this.db.keysIn(b, e))
    for (const op of this.ops) if (op.type === 'set' && op.key >= b && op.key < e) keys.add(op.key)
    let out = [...keys].sort().flatMap((k): Array<[Buffer, Buffer]> => {
      const v = this.visible(k)
      return v ? [[Buffer.from(k, 'hex'), Buffer.from(v)]] : []
    })
    if (opts.reverse) out.reverse()
    if (opts.limit) out = out.slice(0, opts.limit)
    this.db.afterRead()
    return out
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return this.doGet(key, false)
  }

  getRangeAll(begin: Buffer, end: Buffer, opts: FdbRangeOptions = {}): Promise<Array<[Buffer, Buffer]>> {
    return this.doRange(begin, end, opts, false)
  }

  snapshot(): FdbReadTransaction {
    return {
      get: (key) => this.doGet(key, true),
      getRangeAll: (begin, end, opts = {}) => this.doRange(begin, end, opts, true),
    }
  }

  private write(op: Op, keyBytes: number, valueBytes: number): void {
    if (keyBytes > KEY_LIMIT) throw new FakeFdbError(2102)
    if (valueBytes > VALUE_LIMIT) throw new FakeFdbError(2103)
    this.bytes += keyBytes + valueBytes
    this.ops.push(op)
  }

  set(key: Buffer, value: Buffer): void {
    this.write({ type: 'set', key: hex(key), value: Buffer.from(value) }, key.length, value.length)
  }

  clear(key: Buffer): void {
    this.write({ type: 'clear', begin: hex(key), end: after(hex(key)) }, key.length, 0)
  }

  clearRange(begin: Buffer, end: Buffer): void {
    this.write({ type: 'clear', begin: hex(begin), end: hex(end) }, begin.length + end.length, 0)
  }

  setVersionstampedKeyRaw(key: Buffer, value: Buffer): void {
    const template = Buffer.from(key.subarray(0, key.length - 4))
    const offset = key.readUInt32LE(key.length - 4)
    if (offset + 10 > template.length) throw new Error(`versionstamp offset ${offset} outside the ${template.length}-byte key`)
    const before = template.subarray(0, offset)
    this.unreadable.push([hex(before), hex(strinc(before))])
    this.versionstamped++
    this.write({ type: 'vskey', template, offset, value: Buffer.from(value) }, template.length, value.length)
  }

  setVersionstampedValueRaw(key: Buffer, value: Buffer): void {
    const template = Buffer.from(value.subarray(0, value.length - 4))
    const offset = value.readUInt32LE(value.length - 4)
    if (offset + 10 > template.length) throw new Error(`versionstamp offset ${offset} outside the ${template.length}-byte value`)
    this.unreadable.push([hex(key), after(hex(key))])
    this.versionstamped++
    this.write({ type: 'vsvalue', key: hex(key), template, offset }, key.length, template.length)
  }

  getVersionstamp(): { promise: Promise<Buffer> } {
    return { promise: this.stamp.promise }
  }

  async commit(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
    this.checkTimeout()
    if (this.ops.length === 0) {
      this.stamp.reject(new FakeFdbError(2021))
      return
    }
    if (this.bytes > TXN_LIMIT) throw new FakeFdbError(2101)
    if (this.db.conflicts(this.readVersion, this.reads)) throw new FakeFdbError(1020)
    const fault = this.db.takeFault('commit', this.info())
    const apply = () => {
      this.db.stats.maxTxnBytes = Math.max(this.db.stats.maxTxnBytes, this.bytes)
      for (const op of this.ops) if (op.type !== 'clear') this.db.stats.maxValueBytes = Math.max(this.db.stats.maxValueBytes, op.type === 'vsvalue' ? op.template.length : op.value.length)
      return this.db.apply(this.ops)
    }
    if (fault?.at === 'commit' && (fault.committed === 'late' || fault.committed === 'held')) {
      const [rv, reads] = [this.readVersion, [...this.reads]]
      // Still in flight: lands later, unless what happened meanwhile makes it conflict.
      this.db.setLate(() => {
        if (this.db.conflicts(rv, reads)) return false
        apply()
        return true
      }, fault.committed === 'held')
      throw new FakeFdbError(fault.code)
    }
    if (fault && fault.at === 'commit' && fault.committed !== true) throw new FakeFdbError(fault.code)
    const stamp = apply()
    if (fault) throw new FakeFdbError(fault.code)
    this.stamp.resolve(stamp)
  }

  failed(e: unknown): void {
    this.stamp.reject(e)
  }
}
