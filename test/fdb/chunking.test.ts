/**
 * Value chunking and the entry record, as pure functions: boundaries exactly
 * at the chunk limit, checksums that catch damage, round trips.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CHUNK_HEADER_BYTES,
  crc32,
  FdbCorruptError,
  joinValue,
  MAX_VALUE_BYTES,
  partCount,
  readChunkHeader,
  splitValue,
} from '../../src/fdb/chunking.js'
import { decodeEntry, encodeEntry } from '../../src/fdb/entry-codec.js'
import { checkProperty } from '../helpers/prop.js'

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

describe('FoundationDB value chunking', () => {
  it('crc32 is the standard (zlib) CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array(0))).toBe(0)
  })

  for (const max of [MAX_VALUE_BYTES, 100]) {
    it(`splits exactly at the limit (max ${max} bytes per value)`, () => {
      const first = max - CHUNK_HEADER_BYTES
      const cases: Array<[number, number[]]> = [
        [0, [CHUNK_HEADER_BYTES]],
        [first - 1, [max - 1]],
        [first, [max]],
        [first + 1, [max, 1]],
        [first + max, [max, max]],
        [first + max + 1, [max, max, 1]],
      ]
      for (const [length, sizes] of cases) {
        const value = bytes(length)
        const parts = splitValue(value, max)
        expect(parts.map((p) => p.length), `length ${length}`).toEqual(sizes)
        expect(partCount(length, max)).toBe(sizes.length)
        expect(readChunkHeader(parts[0]!)).toEqual({ count: sizes.length, length, crc: crc32(value) })
        expect(joinValue(parts).equals(value), `length ${length}`).toBe(true)
      }
    })
  }

  it('never makes a value over the limit, and round-trips', () =>
    checkProperty('fdb chunk round trip', fc.property(fc.integer({ min: CHUNK_HEADER_BYTES + 1, max: 300 }), fc.uint8Array({ maxLength: 2000 }), (max, value) => {
      const parts = splitValue(value, max)
      expect(parts.every((p) => p.length <= max)).toBe(true)
      expect(parts.length).toBe(partCount(value.length, max))
      expect(new Uint8Array(joinValue(parts))).toEqual(value)
    }), { numRuns: 300 }))

  it('a flipped bit in any part is a checksum mismatch', () => {
    const parts = splitValue(bytes(250), 100)
    for (let i = 0; i < parts.length; i++) {
      const damaged = parts.map((p) => Buffer.from(p))
      const at = i === 0 ? CHUNK_HEADER_BYTES + 5 : 3
      damaged[i]![at]! ^= 0x10
      expect(() => joinValue(damaged)).toThrow(FdbCorruptError)
      expect(() => joinValue(damaged)).toThrow(/checksum mismatch/)
    }
  })

  it('a missing part, a short part, an extra part or a lost header is reported, not returned', () => {
    const parts = splitValue(bytes(250), 100)
    expect(() => joinValue(parts.slice(0, 2))).toThrow(/header says 3 parts, found 2/)
    expect(() => joinValue([...parts, Buffer.from([1])])).toThrow(/header says 3 parts, found 4/)
    expect(() => joinValue([parts[0]!, parts[1]!, parts[2]!.subarray(1)])).toThrow(/header says 250 bytes, parts hold 249/)
    expect(() => joinValue([parts[0]!, parts[1]!, Buffer.concat([parts[2]!, Buffer.from([0])])])).toThrow(/more than the 250 bytes/)
    expect(() => joinValue([parts[1]!, parts[0]!, parts[2]!])).toThrow(FdbCorruptError)
    expect(() => joinValue([])).toThrow(FdbCorruptError)
    expect(() => splitValue(bytes(1), 100_001)).toThrow(RangeError)
    expect(() => splitValue(bytes(1), CHUNK_HEADER_BYTES)).toThrow(RangeError)
  })
})

describe('FoundationDB entry record', () => {
  it('inline entries round-trip time, origin and bytes', () =>
    checkProperty('fdb entry round trip', fc.property(
      fc.double({ min: 0, max: 4e12, noNaN: true }),
      fc.nat(),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.uint8Array({ maxLength: 500 }),
      (time, client, user, update) => {
        expect(decodeEntry(encodeEntry({ time, origin: { client, user }, update }))).toEqual({ time, origin: { client, user }, update })
      },
    ), { numRuns: 200 }))

  it('staged entries round-trip their reference', () => {
    const stageId = Buffer.alloc(16, 9)
    const record = { time: 5, origin: { client: 1, user: 'Zoë 🎨' }, staged: { stageId, index: 7 } }
    expect(decodeEntry(encodeEntry(record))).toEqual(record)
  })

  it('a damaged record is reported', () => {
    const good = encodeEntry({ time: 1, origin: { client: 1, user: 'ann' }, update: bytes(3) })
    const badKind = Buffer.from(good)
    badKind[0] = 9
    expect(() => decodeEntry(badKind)).toThrow(/unknown kind 9/)
    expect(() => decodeEntry(good.subarray(0, 10))).toThrow(FdbCorruptError)
    const longUser = Buffer.from(good)
    longUser.writeUInt32BE(1000, 17)
    expect(() => decodeEntry(longUser)).toThrow(/runs past the end/)
  })
})
