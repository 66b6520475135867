/**
 * The key layout of the FoundationDB log. Every key is a tuple under one
 * prefix, `(prefix, tag, ...)`, with a small integer tag per subspace (as the
 * Record Layer does): tags cost one byte and keep subspaces apart whatever
 * the room names are.
 *
 *   (P, 1, room, vs, part)       -> entry value part (chunked, see chunking)   ROOM LOG
 *   (P, 2, room)                 -> vs of the room's last entry                ROOM HEAD
 *   (P, 4, room, vs, snap, part) -> snapshot state part                        SNAPSHOT CHUNKS
 *   (P, 5, room, vs)             -> snap id + part count                       SNAPSHOT POINTER
 *   (P, 6, vs)                   -> room name                                  GLOBAL FEED
 *   (P, 7)                       -> vs of the last entry + its time            GLOBAL HEAD
 *   (P, 8, projector)            -> cursor                                     PROJECTOR CURSORS
 *   (P, 9, append id)            -> commit stamp + entry count, or a fence     APPEND IDS
 *   (P, 10, stage, entry, part)  -> update part of a staged (large) append     STAGING
 *
 * Tag 3 is kept free for a compaction counter. `vs` is a 12-byte tuple
 * versionstamp, so one transaction's log entries, feed entries and heads share
 * one commit stamp and differ only in the 2-byte user code.
 */
import { pack, packUnboundVersionstamp, range, unboundVersionstamp, unpack, type TupleItem } from 'fdb-tuple'
import { STAMP_BYTES, VERSIONSTAMP_BYTES } from './cursor.js'

export const Tag = {
  roomLog: 1,
  roomHead: 2,
  snapshotChunk: 4,
  snapshotPointer: 5,
  feed: 6,
  globalHead: 7,
  projector: 8,
  appendId: 9,
  stage: 10,
} as const

export interface KeyRange {
  begin: Buffer
  end: Buffer
}

const ZERO = Buffer.from([0x00])
const FF = Buffer.from([0xff])

/** The smallest key after `key`: where a page that ended at `key` restarts. */
export function keyAfter(key: Buffer): Buffer {
  return Buffer.concat([key, ZERO])
}

function vsItem(vs: Uint8Array): TupleItem {
  if (vs.length !== VERSIONSTAMP_BYTES) throw new RangeError(`a versionstamp has ${VERSIONSTAMP_BYTES} bytes, got ${vs.length}`)
  return { type: 'versionstamp', value: Buffer.from(vs) }
}

function vsOf(item: TupleItem | undefined): Buffer {
  if (item && typeof item === 'object' && !Array.isArray(item) && !Buffer.isBuffer(item) && 'type' in item && item.type === 'versionstamp') return item.value
  throw new Error(`corrupt key: expected a versionstamp, got ${JSON.stringify(item)}`)
}

function str(item: TupleItem | undefined): string {
  if (typeof item === 'string') return item
  throw new Error(`corrupt key: expected a string, got ${JSON.stringify(item)}`)
}

function int(item: TupleItem | undefined): number {
  if (typeof item === 'number' && Number.isInteger(item)) return item
  throw new Error(`corrupt key: expected an integer, got ${JSON.stringify(item)}`)
}

/**
 * A key with an unbound versionstamp, in the form `setVersionstampedKeyRaw`
 * takes (API >= 520): the packed tuple, then the stamp's offset as uint32 LE.
 * The user code is written by us, not by FoundationDB, so retries and the
 * cursors we hand out agree on it.
 */
function versionstampedKey(items: TupleItem[]): Buffer {
  const { data, stampPos } = packUnboundVersionstamp(items)
  const offset = Buffer.alloc(4)
  offset.writeUInt32LE(stampPos)
  return Buffer.concat([data, offset])
}

/**
 * A value whose first 10 bytes FoundationDB replaces with the commit stamp,
 * in the form `setVersionstampedValueRaw` takes: value, then offset 0 as
 * uint32 LE. `rest` follows the stamp.
 */
export function versionstampedValue(rest: Uint8Array): Buffer {
  const out = Buffer.alloc(STAMP_BYTES + rest.length + 4)
  out.set(rest, STAMP_BYTES)
  out.writeUInt32LE(0, out.length - 4)
  return out
}

/** Head values hold the 12-byte versionstamp of the last entry, then (global head) its time. */
export function headValue(code: number, time?: number): Buffer {
  const rest = Buffer.alloc(time === undefined ? 2 : 10)
  rest.writeUInt16BE(code, 0)
  if (time !== undefined) rest.writeDoubleBE(time, 2)
  return versionstampedValue(rest)
}

export function timeFromGlobalHead(value: Uint8Array | null | undefined): number {
  if (!value || value.length < VERSIONSTAMP_BYTES + 8) return 0
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).readDoubleBE(VERSIONSTAMP_BYTES)
}

export class FdbKeys {
  /** The packed prefix tuple; every key of this log starts with it. */
  readonly prefix: Buffer

  constructor(readonly name: string) {
    if (typeof name !== 'string' || name.length === 0) throw new Error('the FoundationDB key prefix must be a non-empty string')
    this.prefix = pack([name])
  }

  private key(items: TupleItem[]): Buffer {
    return pack([this.name, ...items])
  }

  private unpackUnder(key: Buffer, tag: number): TupleItem[] {
    const items = unpack(key)
    if (items[0] !== this.name || items[1] !== tag) throw new Error(`corrupt key: ${key.toString('hex')} is not under (${this.name}, ${tag})`)
    return items.slice(2)
  }

  /** Everything this log stores (tests clear it). */
  all(): KeyRange {
    return range([this.name])
  }

  roomEntry(room: string, vs: Uint8Array, part: number): Buffer {
    return this.key([Tag.roomLog, room, vsItem(vs), part])
  }

  roomEntryVersionstamped(room: string, code: number, part: number): Buffer {
    return versionstampedKey([this.name, Tag.roomLog, room, unboundVersionstamp(code), part])
  }

  /** The parts of one entry. */
  roomEntryRange(room: string, vs: Uint8Array): KeyRange {
    return range([this.name, Tag.roomLog, room, vsItem(vs)])
  }

  /** The room's log after `afterVs` (all of it when null). */
  roomLogRange(room: string, afterVs: Uint8Array | null): KeyRange {
    const whole = range([this.name, Tag.roomLog, room])
    if (!afterVs) return whole
    return { begin: Buffer.concat([this.key([Tag.roomLog, room, vsItem(afterVs)]), FF]), end: whole.end }
  }

  parseRoomEntry(key: Buffer): { room: string; vs: Buffer; part: number } {
    const [room, vs, part] = this.unpackUnder(key, Tag.roomLog)
    return { room: str(room), vs: vsOf(vs), part: int(part) }
  }

  roomHead(room: string): Buffer {
    return this.key([Tag.roomHead, room])
  }

  feed(vs: Uint8Array): Buffer {
    return this.key([Tag.feed, vsItem(vs)])
  }

  feedVersionstamped(code: number): Buffer {
    return versionstampedKey([this.name, Tag.feed, unboundVersionstamp(code)])
  }

  feedRange(afterVs: Uint8Array | null): KeyRange {
    const whole = range([this.name, Tag.feed])
    return afterVs ? { begin: keyAfter(this.feed(afterVs)), end: whole.end } : whole
  }

  parseFeed(key: Buffer): Buffer {
    return vsOf(this.unpackUnder(key, Tag.feed)[0])
  }

  get globalHead(): Buffer {
    return this.key([Tag.globalHead])
  }

  snapshotChunk(room: string, vs: Uint8Array, snapId: Buffer, part: number): Buffer {
    return this.key([Tag.snapshotChunk, room, vsItem(vs), snapId, part])
  }

  /** The chunks of one snapshot attempt (`snapId`), or of every attempt at `vs`. */
  snapshotChunkRange(room: string, vs: Uint8Array, snapId?: Buffer): KeyRange {
    return range([this.name, Tag.snapshotChunk, room, vsItem(vs), ...(snapId ? [snapId] : [])])
  }

  snapshotPointer(room: string, vs: Uint8Array): Buffer {
    return this.key([Tag.snapshotPointer, room, vsItem(vs)])
  }

  /** The room's snapshot pointers with versionstamp <= `atOrBeforeVs` (all when null). */
  snapshotPointerRange(room: string, atOrBeforeVs: Uint8Array | null): KeyRange {
    const whole = range([this.name, Tag.snapshotPointer, room])
    return atOrBeforeVs ? { begin: whole.begin, end: keyAfter(this.snapshotPointer(room, atOrBeforeVs)) } : whole
  }

  parseSnapshotPointer(key: Buffer): { room: string; vs: Buffer } {
    const [room, vs] = this.unpackUnder(key, Tag.snapshotPointer)
    return { room: str(room), vs: vsOf(vs) }
  }

  projector(id: string): Buffer {
    return this.key([Tag.projector, id])
  }

  appendId(id: Buffer): Buffer {
    return this.key([Tag.appendId, id])
  }

  /** Append ids are time-prefixed byte strings, and tuple byte strings keep byte order: this range holds the ids older than `idPrefix`. */
  appendIdsBefore(idPrefix: Buffer): KeyRange {
    return { begin: range([this.name, Tag.appendId]).begin, end: this.appendId(idPrefix) }
  }

  stage(stageId: Buffer, entry: number, part: number): Buffer {
    return this.key([Tag.stage, stageId, entry, part])
  }

  stageRange(stageId: Buffer, entry?: number): KeyRange {
    return range([this.name, Tag.stage, stageId, ...(entry === undefined ? [] : [entry])])
  }
}
