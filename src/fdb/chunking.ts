/**
 * Values over FoundationDB's limit split across keys. FoundationDB refuses a
 * value over 100,000 bytes and works best with far smaller ones, so a value
 * is cut into parts of at most `maxValueBytes` (90,000 by default, leaving
 * room below the hard limit). Part 0 starts with a header that makes a
 * reassembled value checkable on its own: a torn read, a lost part or a
 * flipped bit is reported instead of handed to Yjs.
 *
 *   part 0: u8 magic 0xc5 | u32 BE part count | u32 BE total length | u32 BE crc32 | data...
 *   part i: data...
 */

export const MAX_VALUE_BYTES = 90_000
/** FoundationDB's hard limit on one value. */
export const FDB_VALUE_LIMIT = 100_000
export const CHUNK_HEADER_BYTES = 13
const MAGIC = 0xc5

export class FdbCorruptError extends Error {
  readonly code = 'fdb_corrupt'
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32 (the zlib/PNG polynomial), so values can be checked with any standard tool. */
export function crc32(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return ~crc >>> 0
}

function checkMax(maxValueBytes: number): void {
  if (!Number.isInteger(maxValueBytes) || maxValueBytes <= CHUNK_HEADER_BYTES || maxValueBytes > FDB_VALUE_LIMIT) {
    throw new RangeError(`maxValueBytes must be an integer in ${CHUNK_HEADER_BYTES + 1}..${FDB_VALUE_LIMIT}, got ${maxValueBytes}`)
  }
}

/** How many parts a value of `length` bytes takes. */
export function partCount(length: number, maxValueBytes = MAX_VALUE_BYTES): number {
  checkMax(maxValueBytes)
  const first = maxValueBytes - CHUNK_HEADER_BYTES
  return length <= first ? 1 : 1 + Math.ceil((length - first) / maxValueBytes)
}

export function splitValue(value: Uint8Array, maxValueBytes = MAX_VALUE_BYTES): Buffer[] {
  const count = partCount(value.length, maxValueBytes)
  const first = maxValueBytes - CHUNK_HEADER_BYTES
  const head = Buffer.alloc(CHUNK_HEADER_BYTES + Math.min(first, value.length))
  head.writeUInt8(MAGIC, 0)
  head.writeUInt32BE(count, 1)
  head.writeUInt32BE(value.length, 5)
  head.writeUInt32BE(crc32(value), 9)
  head.set(value.subarray(0, first), CHUNK_HEADER_BYTES)
  const parts = [head]
  for (let pos = first; pos < value.length; pos += maxValueBytes) {
    parts.push(Buffer.from(value.subarray(pos, Math.min(pos + maxValueBytes, value.length))))
  }
  return parts
}

export interface ChunkHeader {
  count: number
  length: number
  crc: number
}

export function readChunkHeader(part0: Uint8Array): ChunkHeader {
  if (part0.length < CHUNK_HEADER_BYTES || part0[0] !== MAGIC) {
    throw new FdbCorruptError(`corrupt value: part 0 has no chunk header (${part0.length} bytes, first byte ${part0[0] ?? 'none'})`)
  }
  const b = Buffer.from(part0.buffer, part0.byteOffset, part0.byteLength)
  return { count: b.readUInt32BE(1), length: b.readUInt32BE(5), crc: b.readUInt32BE(9) }
}

/** Reassembles and checks a value; throws `FdbCorruptError` for a missing part, a wrong length or a checksum mismatch. */
export function joinValue(parts: readonly Uint8Array[]): Buffer {
  if (parts.length === 0) throw new FdbCorruptError('corrupt value: no parts')
  const header = readChunkHeader(parts[0]!)
  if (parts.length !== header.count) {
    throw new FdbCorruptError(`corrupt value: header says ${header.count} parts, found ${parts.length}`)
  }
  const out = Buffer.alloc(header.length)
  let pos = 0
  for (let i = 0; i < parts.length; i++) {
    const data = i === 0 ? parts[0]!.subarray(CHUNK_HEADER_BYTES) : parts[i]!
    if (pos + data.length > header.length) throw new FdbCorruptError(`corrupt value: parts hold more than the ${header.length} bytes the header says`)
    out.set(data, pos)
    pos += data.length
  }
  if (pos !== header.length) throw new FdbCorruptError(`corrupt value: header says ${header.length} bytes, parts hold ${pos}`)
  const crc = crc32(out)
  if (crc !== header.crc) {
    throw new FdbCorruptError(`corrupt value: checksum mismatch (stored crc32 ${header.crc.toString(16)}, computed ${crc.toString(16)})`)
  }
  return out
}
