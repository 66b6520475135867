/**
 * Key layout and cursors of the FoundationDB log, as pure functions (no
 * cluster, no double): round trips, the raw versionstamped forms the binding
 * takes, and that cursor order, key order and commit order agree ([L2]).
 */
import fc from 'fast-check'
import { pack, unpack } from 'fdb-tuple'
import { describe, expect, it } from 'vitest'
import { START } from '../../src/log/event-log.js'
import {
  cursorFromHead,
  cursorFromVersionstamp,
  cursorOf,
  entryVersionstamp,
  InvalidCursorError,
  isFdbCursor,
  versionstampFromCursor,
} from '../../src/fdb/cursor.js'
import { FdbKeys, headValue, keyAfter, Tag, timeFromGlobalHead } from '../../src/fdb/keys.js'
import { newAppendId } from '../../src/fdb/appender.js'
import { checkProperty } from '../helpers/prop.js'

const keys = new FdbKeys('scenesync')

/** What FoundationDB does to a raw versionstamped key or value at commit: write the stamp at the offset in the last 4 bytes. */
function fill(raw: Buffer, stamp: Buffer): Buffer {
  const offset = raw.readUInt32LE(raw.length - 4)
  const out = Buffer.from(raw.subarray(0, raw.length - 4))
  stamp.copy(out, offset)
  return out
}

function stampOf(version: bigint, order: number): Buffer {
  const b = Buffer.alloc(10)
  b.writeBigUInt64BE(version, 0)
  b.writeUInt16BE(order, 8)
  return b
}

const within = (k: Buffer, r: { begin: Buffer; end: Buffer }) => Buffer.compare(k, r.begin) >= 0 && Buffer.compare(k, r.end) < 0
const sign = (n: number) => (n > 0 ? 1 : n < 0 ? -1 : 0)

const arbStamp = fc.tuple(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 0xffff })).map(([v, o]) => stampOf(v, o))
const arbVs = fc.uint8Array({ minLength: 12, maxLength: 12 }).map((a) => Buffer.from(a))
const arbRoom = fc.string({ minLength: 1, maxLength: 40, unit: 'binary' })

describe('FoundationDB key layout', () => {
  it('every key starts with the packed prefix and its subspace tag', () => {
    const vs = Buffer.alloc(12, 7)
    const samples: Array<[Buffer, number]> = [
      [keys.roomEntry('r', vs, 0), Tag.roomLog],
      [keys.roomHead('r'), Tag.roomHead],
      [keys.snapshotChunk('r', vs, Buffer.alloc(16), 0), Tag.snapshotChunk],
      [keys.snapshotPointer('r', vs), Tag.snapshotPointer],
      [keys.feed(vs), Tag.feed],
      [keys.globalHead, Tag.globalHead],
      [keys.projector('p'), Tag.projector],
      [keys.appendId(Buffer.alloc(16)), Tag.appendId],
      [keys.stage(Buffer.alloc(16), 0, 0), Tag.stage],
    ]
    for (const [key, tag] of samples) {
      expect(key.subarray(0, keys.prefix.length)).toEqual(pack(['scenesync']))
      expect(unpack(key).slice(0, 2)).toEqual(['scenesync', tag])
      expect(within(key, keys.all())).toBe(true)
    }
    expect(within(new FdbKeys('scenesync2').globalHead, keys.all())).toBe(false)
  })

  it('room entry, feed and snapshot pointer keys round-trip', () =>
    checkProperty('fdb key round trip', fc.property(arbRoom, arbVs, fc.integer({ min: 0, max: 1000 }), (room, vs, part) => {
      expect(keys.parseRoomEntry(keys.roomEntry(room, vs, part))).toEqual({ room, vs, part })
      expect(keys.parseFeed(keys.feed(vs))).toEqual(vs)
      expect(keys.parseSnapshotPointer(keys.snapshotPointer(room, vs))).toEqual({ room, vs })
    }), { numRuns: 200 }))

  it('a raw versionstamped key, once FoundationDB fills the stamp, is the bound key of that entry', () =>
    checkProperty('fdb versionstamped key', fc.property(arbRoom, arbStamp, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 50 }), (room, stamp, code, part) => {
      const vs = entryVersionstamp(stamp, code)
      expect(fill(keys.roomEntryVersionstamped(room, code, part), stamp)).toEqual(keys.roomEntry(room, vs, part))
      expect(fill(keys.feedVersionstamped(code), stamp)).toEqual(keys.feed(vs))
    }), { numRuns: 200 }))

  it('head values carry the entry versionstamp (and the global head its time)', () => {
    const stamp = stampOf(123456789n, 3)
    expect(cursorFromHead(fill(headValue(42), stamp))).toBe(cursorOf(stamp, 42))
    const global = fill(headValue(7, 1_700_000_000_123), stamp)
    expect(cursorFromHead(global)).toBe(cursorOf(stamp, 7))
    expect(timeFromGlobalHead(global)).toBe(1_700_000_000_123)
    expect(cursorFromHead(undefined)).toBe(START)
    expect(timeFromGlobalHead(undefined)).toBe(0)
  })

  it('[L2] cursor order, key order and commit (stamp) order agree', () =>
    checkProperty('fdb cursor order', fc.property(arbStamp, fc.integer({ min: 0, max: 0xffff }), arbStamp, fc.integer({ min: 0, max: 0xffff }), (s1, c1, s2, c2) => {
      const v1 = entryVersionstamp(s1, c1)
      const v2 = entryVersionstamp(s2, c2)
      const commitOrder = sign(Buffer.compare(s1, s2)) || sign(c1 - c2)
      const a = cursorFromVersionstamp(v1)
      const b = cursorFromVersionstamp(v2)
      expect(sign(a < b ? -1 : a > b ? 1 : 0)).toBe(commitOrder)
      expect(sign(Buffer.compare(keys.roomEntry('r', v1, 9), keys.roomEntry('r', v2, 0)))).toBe(commitOrder || 1)
      expect(sign(Buffer.compare(keys.feed(v1), keys.feed(v2)))).toBe(commitOrder)
      expect(a > START).toBe(true)
    }), { numRuns: 500 }))

  it('[L2] a sorted list of stamps gives sorted cursors', () =>
    checkProperty('fdb cursor sort', fc.property(fc.array(fc.tuple(arbStamp, fc.integer({ min: 0, max: 0xffff })), { maxLength: 50 }), (pairs) => {
      const vss = pairs.map(([s, c]) => entryVersionstamp(s, c)).sort(Buffer.compare)
      const cursors = vss.map(cursorFromVersionstamp)
      expect([...cursors].sort()).toEqual(cursors)
    })))

  it('a room log range after a cursor holds exactly the later entries of that room, with all their parts', () => {
    const stamps = [1n, 2n, 3n].map((v) => stampOf(v, 0))
    const vss = stamps.map((s) => entryVersionstamp(s, 1))
    const after = keys.roomLogRange('ab', vss[1]!)
    expect(within(keys.roomEntry('ab', vss[0]!, 0), after)).toBe(false)
    expect(within(keys.roomEntry('ab', vss[1]!, 0), after)).toBe(false)
    expect(within(keys.roomEntry('ab', vss[1]!, 5000), after)).toBe(false)
    expect(within(keys.roomEntry('ab', vss[2]!, 0), after)).toBe(true)
    expect(within(keys.roomEntry('ab', vss[2]!, 70000), after)).toBe(true)
    // Tuple strings end with a terminator, so room 'a' never reads room 'ab' (or 'a\0').
    const all = keys.roomLogRange('a', null)
    for (const other of ['ab', 'a\u0000', 'A', '']) if (other) expect(within(keys.roomEntry(other, vss[0]!, 0), all)).toBe(false)
    expect(within(keys.roomEntry('a', vss[0]!, 0), all)).toBe(true)
    const entry = keys.roomEntryRange('ab', vss[1]!)
    expect(within(keys.roomEntry('ab', vss[1]!, 3), entry)).toBe(true)
    expect(within(keys.roomEntry('ab', vss[2]!, 0), entry)).toBe(false)
  })

  it('feed and snapshot pointer ranges are bounded by the cursor as the reads need', () => {
    const [a, b, c] = [1n, 2n, 3n].map((v) => entryVersionstamp(stampOf(v, 0), 0)) as [Buffer, Buffer, Buffer]
    const feedAfterB = keys.feedRange(b)
    expect([a, b, c].map((v) => within(keys.feed(v), feedAfterB))).toEqual([false, false, true])
    const upToB = keys.snapshotPointerRange('r', b)
    expect([a, b, c].map((v) => within(keys.snapshotPointer('r', v), upToB))).toEqual([true, true, false])
    expect(within(keys.snapshotPointer('s', a), keys.snapshotPointerRange('r', null))).toBe(false)
    expect(keyAfter(Buffer.from([1, 2]))).toEqual(Buffer.from([1, 2, 0]))
  })

  it('the append id sweep range holds older ids only', () => {
    const now = 1_700_000_000_000
    const old = keys.appendId(newAppendId(now - 2 * 3600_000))
    const fresh = keys.appendId(newAppendId(now))
    const sweep = keys.appendIdsBefore(newAppendId(now - 3600_000).subarray(0, 6))
    expect(within(old, sweep)).toBe(true)
    expect(within(fresh, sweep)).toBe(false)
  })
})

describe('FoundationDB cursors', () => {
  it('are 24 lowercase hex characters, START is the empty string', () => {
    const c = cursorOf(stampOf(0x0102030405060708n, 0x090a), 0x0b0c)
    expect(c).toBe('0102030405060708090a0b0c')
    expect(versionstampFromCursor(c)).toEqual(Buffer.from(c, 'hex'))
    expect(isFdbCursor(c)).toBe(true)
    expect(isFdbCursor(START)).toBe(true)
    for (const bad of ['0102030405060708090A0B0C', '0102', 'zz02030405060708090a0b0c', '000000000001']) {
      expect(isFdbCursor(bad)).toBe(false)
      expect(() => versionstampFromCursor(bad)).toThrow(InvalidCursorError)
    }
    expect(() => versionstampFromCursor(START)).toThrow(InvalidCursorError)
    expect(() => entryVersionstamp(Buffer.alloc(10), 0x10000)).toThrow(RangeError)
    expect(() => entryVersionstamp(Buffer.alloc(9), 0)).toThrow(RangeError)
  })
})
