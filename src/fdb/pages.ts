/**
 * Range reads in pages and bulk writes in batches, each page or batch its own
 * transaction. FoundationDB ends a transaction 5 s after its first read
 * (error 1007) and advises against transactions over 1 MB, so nothing large
 * is read or written in one. Pages restart after the last key returned,
 * never at a key-selector offset (which costs O(offset) on the server).
 *
 * Reading across transactions is safe for what the log pages over: the log
 * below its head, staged parts and snapshot chunks are never changed once
 * visible, and keys are versionstamps, so a later commit only adds keys after
 * the ones already read (`[L2]`).
 */
import { runTn, type FdbDatabase, type TnPolicy } from './binding.js'
import { keyAfter, type KeyRange } from './keys.js'

export const DEFAULT_PAGE_KEYS = 500

/** Key-value pairs of a range, in key order, one transaction per page. */
export async function* readPages(
  db: FdbDatabase,
  policy: TnPolicy,
  range: KeyRange,
  pageKeys = DEFAULT_PAGE_KEYS,
): AsyncGenerator<Array<[Buffer, Buffer]>> {
  let begin = range.begin
  for (;;) {
    const from = begin
    const page = await runTn(db, 'range read', policy, (tn) => tn.snapshot().getRangeAll(from, range.end, { limit: pageKeys }))
    if (page.length > 0) yield page
    if (page.length < pageKeys) return
    begin = keyAfter(page[page.length - 1]![0])
  }
}

export async function readAllPaged(db: FdbDatabase, policy: TnPolicy, range: KeyRange, pageKeys = DEFAULT_PAGE_KEYS): Promise<Array<[Buffer, Buffer]>> {
  const all: Array<[Buffer, Buffer]> = []
  for await (const page of readPages(db, policy, range, pageKeys)) all.push(...page)
  return all
}

/** The bytes a set of `key` to `value` adds to a transaction. */
export function pairBytes(key: Uint8Array, value: Uint8Array): number {
  return key.length + value.length
}

/**
 * Sets pairs in transactions of at most `maxTxnBytes` each. The pairs must
 * be invisible to readers until something small points at them (staging),
 * because a reader may see some batches before others.
 */
export async function writeBatched(db: FdbDatabase, policy: TnPolicy, pairs: ReadonlyArray<readonly [Buffer, Buffer]>, maxTxnBytes: number): Promise<number> {
  let transactions = 0
  for (let i = 0; i < pairs.length; ) {
    let end = i
    let bytes = 0
    while (end < pairs.length && (end === i || bytes + pairBytes(...pairs[end]!) <= maxTxnBytes)) {
      bytes += pairBytes(...pairs[end]!)
      end++
    }
    const batch = pairs.slice(i, end)
    await runTn(db, 'staged write', policy, async (tn) => {
      for (const [k, v] of batch) tn.set(k, v)
    })
    transactions++
    i = end
  }
  return transactions
}
