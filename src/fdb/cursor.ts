/**
 * Cursors of the FoundationDB log. An entry's key carries the 12-byte tuple
 * versionstamp of its transaction: the 10-byte commit stamp (8-byte commit
 * version, 2-byte batch order, both big-endian) followed by 2 user bytes, the
 * entry's position inside that transaction. As 24 lowercase hex characters
 * the cursor sorts as a plain string exactly as the stamps sort as bytes,
 * which is commit order (`[L2]`); `START` ('') sorts before all of them.
 */
import { type Cursor, START } from '../log/event-log.js'

/** The commit stamp FoundationDB writes: 8-byte version + 2-byte batch order. */
export const STAMP_BYTES = 10
/** A tuple versionstamp: the commit stamp + a 2-byte user code. */
export const VERSIONSTAMP_BYTES = 12
/** Entries one transaction can number with the 2-byte user code. */
export const MAX_CODES = 0x10000

const CURSOR_PATTERN = /^[0-9a-f]{24}$/

export class InvalidCursorError extends Error {
  readonly code = 'invalid_cursor'
  constructor(cursor: unknown) {
    super(`not a cursor of the FoundationDB log: ${JSON.stringify(cursor)} (expected 24 lowercase hex characters or '')`)
  }
}

export function isFdbCursor(cursor: unknown): cursor is Cursor {
  return cursor === START || (typeof cursor === 'string' && CURSOR_PATTERN.test(cursor))
}

/** The versionstamp of the entry numbered `code` in the transaction that committed with `stamp`. */
export function entryVersionstamp(stamp: Uint8Array, code: number): Buffer {
  if (stamp.length !== STAMP_BYTES) throw new RangeError(`a commit stamp has ${STAMP_BYTES} bytes, got ${stamp.length}`)
  if (!Number.isInteger(code) || code < 0 || code >= MAX_CODES) throw new RangeError(`user code ${code} is outside 0..${MAX_CODES - 1}`)
  const vs = Buffer.alloc(VERSIONSTAMP_BYTES)
  vs.set(stamp, 0)
  vs.writeUInt16BE(code, STAMP_BYTES)
  return vs
}

export function cursorFromVersionstamp(vs: Uint8Array): Cursor {
  if (vs.length !== VERSIONSTAMP_BYTES) throw new RangeError(`a versionstamp has ${VERSIONSTAMP_BYTES} bytes, got ${vs.length}`)
  return Buffer.from(vs.buffer, vs.byteOffset, vs.byteLength).toString('hex')
}

export function cursorOf(stamp: Uint8Array, code: number): Cursor {
  return cursorFromVersionstamp(entryVersionstamp(stamp, code))
}

/** The 12 bytes behind a cursor; throws for `START`, which names no entry. */
export function versionstampFromCursor(cursor: Cursor): Buffer {
  if (cursor === START || !isFdbCursor(cursor)) throw new InvalidCursorError(cursor)
  return Buffer.from(cursor, 'hex')
}

/** The versionstamp behind a cursor, or null for `START`. */
export function versionstampAfter(cursor: Cursor): Buffer | null {
  if (cursor === START) return null
  return versionstampFromCursor(cursor)
}

/** Reads the cursor stored at the front of a head value; a missing head is `START`. */
export function cursorFromHead(value: Uint8Array | null | undefined): Cursor {
  if (!value || value.length === 0) return START
  if (value.length < VERSIONSTAMP_BYTES) throw new RangeError(`a head value has at least ${VERSIONSTAMP_BYTES} bytes, got ${value.length}`)
  return cursorFromVersionstamp(value.subarray(0, VERSIONSTAMP_BYTES))
}
