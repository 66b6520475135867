/**
 * The logical value of one log entry, before chunking. Everything an entry
 * carries besides its room and cursor (which are in its key) lives here, so
 * an entry is read with one range read over its key prefix.
 *
 *   u8 kind | f64 BE time (ms) | f64 BE origin client | u32 BE user length | user UTF-8 | body
 *   kind 1 (inline): body = the update bytes
 *   kind 2 (staged): body = 16-byte stage id | u32 BE entry index
 *
 * A staged entry's update was written in earlier transactions under the
 * staging subspace (too large for one transaction) and is published by the
 * small transaction that writes this record.
 */
import type { Origin } from '../log/event-log.js'
import { FdbCorruptError } from './chunking.js'

export const STAGE_ID_BYTES = 16
const INLINE = 1
const STAGED = 2
const FIXED = 1 + 8 + 8 + 4

export interface StagedRef {
  stageId: Buffer
  index: number
}

export type EntryRecord =
  | { time: number; origin: Origin; update: Uint8Array; staged?: undefined }
  | { time: number; origin: Origin; staged: StagedRef; update?: undefined }

export function encodeEntry(record: EntryRecord): Buffer {
  const user = Buffer.from(record.origin.user, 'utf8')
  const bodyLength = record.staged ? STAGE_ID_BYTES + 4 : record.update!.length
  const out = Buffer.alloc(FIXED + user.length + bodyLength)
  out.writeUInt8(record.staged ? STAGED : INLINE, 0)
  out.writeDoubleBE(record.time, 1)
  out.writeDoubleBE(record.origin.client, 9)
  out.writeUInt32BE(user.length, 17)
  user.copy(out, FIXED)
  const body = FIXED + user.length
  if (record.staged) {
    if (record.staged.stageId.length !== STAGE_ID_BYTES) throw new RangeError(`a stage id has ${STAGE_ID_BYTES} bytes`)
    record.staged.stageId.copy(out, body)
    out.writeUInt32BE(record.staged.index, body + STAGE_ID_BYTES)
  } else {
    out.set(record.update!, body)
  }
  return out
}

/** The bytes an inline entry adds to its record, for sizing transactions before encoding. */
export function entryOverhead(origin: Origin): number {
  return FIXED + Buffer.byteLength(origin.user, 'utf8')
}

export function decodeEntry(value: Uint8Array): EntryRecord {
  const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (b.length < FIXED) throw new FdbCorruptError(`corrupt entry: ${b.length} bytes is shorter than its fixed fields`)
  const kind = b.readUInt8(0)
  const time = b.readDoubleBE(1)
  const client = b.readDoubleBE(9)
  const userLength = b.readUInt32BE(17)
  if (FIXED + userLength > b.length) throw new FdbCorruptError(`corrupt entry: user name of ${userLength} bytes runs past the end`)
  const origin = { client, user: b.toString('utf8', FIXED, FIXED + userLength) }
  const body = b.subarray(FIXED + userLength)
  if (kind === INLINE) return { time, origin, update: new Uint8Array(body) }
  if (kind === STAGED) {
    if (body.length !== STAGE_ID_BYTES + 4) throw new FdbCorruptError(`corrupt entry: a staged reference has ${body.length} bytes`)
    return { time, origin, staged: { stageId: Buffer.from(body.subarray(0, STAGE_ID_BYTES)), index: body.readUInt32BE(STAGE_ID_BYTES) } }
  }
  throw new FdbCorruptError(`corrupt entry: unknown kind ${kind}`)
}
