/**
 * The part of the `foundationdb` npm binding (2.x) this log uses, written as
 * interfaces so the log never imports the binding (it is loaded lazily, see
 * open.ts) and a test double can stand in for it. Keys and values are raw
 * bytes: the log packs its own tuple keys with `fdb-tuple`, the binding's
 * own tuple layer, so the layout is the same bytes with or without it.
 *
 * Signatures follow the binding's `Database` / `Transaction` (doTn,
 * getRangeAll, setVersionstampedKeyRaw, getAndWatch, ...) with the default
 * (Buffer) encoders.
 */

export interface FdbWatch {
  /** true when the key changed; false when the watch was dropped (errors 1101, 1025, 1020). */
  promise: Promise<boolean>
  cancel(): void
}

export interface FdbRangeOptions {
  limit?: number
  reverse?: boolean
}

export interface FdbReadTransaction {
  get(key: Buffer): Promise<Buffer | undefined | null>
  /** Keys in [begin, end) (plain keys are firstGreaterOrEqual selectors). */
  getRangeAll(begin: Buffer, end: Buffer, opts?: FdbRangeOptions): Promise<Array<[Buffer, Buffer]>>
}

export interface FdbTransaction extends FdbReadTransaction {
  /** The same transaction, reading without read-conflict ranges. */
  snapshot(): FdbReadTransaction
  set(key: Buffer, value: Buffer): void
  clear(key: Buffer): void
  clearRange(begin: Buffer, end: Buffer): void
  /** `key` ends with the uint32 LE offset of the 10 bytes FoundationDB fills with the commit stamp. */
  setVersionstampedKeyRaw(key: Buffer, value: Buffer): void
  /** `value` ends with the uint32 LE offset of the 10 bytes FoundationDB fills with the commit stamp. */
  setVersionstampedValueRaw(key: Buffer, value: Buffer): void
  /** The commit stamp; await it only after `doTn` has returned (awaiting inside deadlocks). */
  getVersionstamp(): { promise: Promise<Buffer> }
}

export interface FdbTransactionOptions {
  /** ms, across retries; then error 1031 (not retried by doTn). */
  timeout?: number
  /** retries after which doTn rethrows the last error. */
  retry_limit?: number
}

export interface FdbDatabase {
  /** Runs `body` and commits, rerunning it on retryable errors (1007, 1020, 1021, ...). */
  doTn<T>(body: (tn: FdbTransaction) => Promise<T>, opts?: FdbTransactionOptions): Promise<T>
  /** Reads `key` and sets a watch on it in one transaction. */
  getAndWatch(key: Buffer): Promise<FdbWatch & { value: Buffer | undefined | null }>
  close?(): void
}

export interface FdbLogger {
  warn(msg: string, fields?: object): void
}

/** FoundationDB error codes the log handles (api-error-codes.rst). */
export const FdbCode = {
  transactionTooOld: 1007,
  futureVersion: 1009,
  notCommitted: 1020,
  commitUnknownResult: 1021,
  timedOut: 1031,
  accessedUnreadable: 1036,
  processBehind: 1037,
  tagThrottled: 1213,
  transactionTooLarge: 2101,
  keyTooLarge: 2102,
  valueTooLarge: 2103,
} as const

/** An error from FoundationDB carries a numeric `code` (the binding's FDBError). */
export function fdbErrorCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'number' ? code : undefined
}

/**
 * Errors worth a fresh `doTn` once doTn itself gave up: its retry limit ran
 * out on a retryable error, or the transaction timed out (1031, which doTn
 * never retries). Every transaction the log runs is idempotent — appends by
 * their append id — so rerunning one cannot duplicate anything.
 */
const RERUNNABLE = new Set<number>([
  FdbCode.transactionTooOld,
  FdbCode.futureVersion,
  FdbCode.notCommitted,
  FdbCode.commitUnknownResult,
  FdbCode.timedOut,
  FdbCode.processBehind,
  FdbCode.tagThrottled,
])

export function isRerunnable(e: unknown): boolean {
  const code = fdbErrorCode(e)
  return code !== undefined && RERUNNABLE.has(code)
}

export interface TnPolicy {
  /** Per doTn, across its own retries. */
  timeoutMs: number
  retryLimit: number
  /** doTn runs before giving up. */
  attempts: number
  logger?: FdbLogger
}

export const DEFAULT_POLICY: TnPolicy = { timeoutMs: 4000, retryLimit: 10, attempts: 3 }

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** `db.doTn` with a timeout and a retry limit, rerun a few times on errors that doTn gave up on. */
export async function runTn<T>(db: FdbDatabase, what: string, policy: TnPolicy, body: (tn: FdbTransaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.doTn(body, { timeout: policy.timeoutMs, retry_limit: policy.retryLimit })
    } catch (e) {
      if (attempt >= policy.attempts || !isRerunnable(e)) throw e
      policy.logger?.warn(`FoundationDB ${what}: error ${fdbErrorCode(e)} (${(e as Error).message}); running the transaction again`, { attempt, code: fdbErrorCode(e) })
      await sleep(Math.min(1000, 10 * 2 ** attempt))
    }
  }
}
