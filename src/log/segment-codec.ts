/**
 * The body of one stored segment: the entries of one room from one group
 * commit, back to back. Storing a segment per commit instead of a row per
 * update keeps the per-update overhead of the embedded log to ~2 bytes.
 *
 *   per entry: varuint originId, varuint length, update bytes
 *
 * A body that starts with a 0 byte is that, deflated (raw deflate) after the
 * 0. Origin ids start at 1, so no plain body starts with 0, and logs written
 * before compression read as they are. Updates compress well: each repeats
 * its client id, the key it writes, and the channels' edit times, which
 * neighbouring updates share too (about 0.35 of the size for a group commit
 * of a busy room, 0.65 for a lone update).
 */
import zlib from 'node:zlib'

const DEFLATED = 0
// Level 1 and a 4 KiB window keep the append path cheap (about 20 µs for a
// lone update, 100 µs for 64); level 6 and 32 KiB win only a few percent more.
const DEFLATE: zlib.ZlibOptions = { level: 1, windowBits: 12, memLevel: 5 }
// Large segments are geometry chunks: float data that deflate barely shrinks
// at a cost of tens of milliseconds per MiB on the append path.
const MAX_DEFLATED = 64 << 10

export interface SegmentItem {
  originId: number
  update: Uint8Array
}

function varUintSize(n: number): number {
  let size = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    size++
  }
  return size
}

function writeVarUint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  buf[pos++] = n
  return pos
}

/** The stored body: the segment deflated when that makes it smaller. */
export function encodeSegment(items: readonly SegmentItem[]): Uint8Array {
  const plain = encodePlain(items)
  if (plain.length > MAX_DEFLATED) return plain
  const packed = zlib.deflateRawSync(plain, DEFLATE)
  if (packed.length + 1 >= plain.length) return plain
  const out = new Uint8Array(packed.length + 1)
  out[0] = DEFLATED
  out.set(packed, 1)
  return out
}

function encodePlain(items: readonly SegmentItem[]): Uint8Array {
  let size = 0
  for (const it of items) size += varUintSize(it.originId) + varUintSize(it.update.length) + it.update.length
  const out = new Uint8Array(size)
  let pos = 0
  for (const it of items) {
    pos = writeVarUint(out, pos, it.originId)
    pos = writeVarUint(out, pos, it.update.length)
    out.set(it.update, pos)
    pos += it.update.length
  }
  return out
}

export function decodeSegment(stored: Uint8Array): SegmentItem[] {
  let body = stored
  if (stored.length > 0 && stored[0] === DEFLATED) {
    try {
      body = zlib.inflateRawSync(stored.subarray(1))
    } catch (e) {
      throw new Error(`corrupt log segment: ${(e as Error).message}`)
    }
  }
  const items: SegmentItem[] = []
  let pos = 0
  const readVarUint = (): number => {
    let num = 0
    let mult = 1
    for (;;) {
      if (pos >= body.length) throw new Error('corrupt log segment: truncated integer')
      const b = body[pos++]!
      num += (b & 0x7f) * mult
      if (b < 0x80) return num
      mult *= 128
    }
  }
  while (pos < body.length) {
    const originId = readVarUint()
    const len = readVarUint()
    if (pos + len > body.length) throw new Error('corrupt log segment: entry runs past the end')
    // A copy, so callers may keep or mutate it without touching the row buffer.
    items.push({ originId, update: body.slice(pos, pos + len) })
    pos += len
  }
  return items
}
