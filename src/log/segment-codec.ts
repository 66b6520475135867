/**
 * The body of one stored segment: the entries of one room from one group
 * commit, back to back. Storing a segment per commit instead of a row per
 * update keeps the per-update overhead of the embedded log to ~2 bytes.
 *
 *   per entry: varuint originId, varuint length, update bytes
 */

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

export function encodeSegment(items: readonly SegmentItem[]): Uint8Array {
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

export function decodeSegment(body: Uint8Array): SegmentItem[] {
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
