/**
 * A strict, bounds-checked reader of the Yjs update format (v1), used to keep
 * bytes that are not an update out of the log (`[L4]`). The log knows nothing
 * of Yjs beyond this byte format, so this reads it without the yjs library:
 * lib0's decoder reads past the end of a buffer as `undefined` instead of
 * failing, and `Y.decodeUpdate` accepts trailing garbage.
 *
 * Layout (yjs `writeStructs` / `writeDeleteSet`):
 *   varuint nClients; per client: varuint nStructs, varuint client, varuint clock,
 *     nStructs × (u8 info; GC: varuint len | Skip: varuint len | Item: ...)
 *   varuint nClients; per client: varuint client, varuint n, n × (varuint clock, varuint len)
 */

export interface UpdateSummary {
  structs: number
  deletes: number
}

class FormatError extends Error {}

const MAX_DEPTH = 64
const utf8 = new TextDecoder('utf-8', { fatal: true })

class Reader {
  pos = 0
  constructor(readonly buf: Uint8Array) {}

  fail(what: string): never {
    throw new FormatError(`${what} at byte ${this.pos} of ${this.buf.length}`)
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end of data')
    return this.buf[this.pos++]!
  }

  varUint(): number {
    let num = 0
    let mult = 1
    for (let i = 0; i < 8; i++) {
      const b = this.u8()
      num += (b & 0x7f) * mult
      if (b < 0x80) return num
      mult *= 128
    }
    return this.fail('integer too large')
  }

  varInt(): void {
    let b = this.u8()
    for (let i = 0; b & 0x80; i++) {
      if (i > 8) this.fail('integer too large')
      b = this.u8()
    }
  }

  /** A count of things that each take at least one byte: bounded by what is left. */
  count(what: string): number {
    const n = this.varUint()
    if (n > this.buf.length - this.pos) this.fail(`${what} count ${n} exceeds the remaining bytes`)
    return n
  }

  bytes(n: number): Uint8Array {
    if (n > this.buf.length - this.pos) this.fail(`length ${n} runs past the end`)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  string(): string {
    const b = this.bytes(this.varUint())
    try {
      return utf8.decode(b)
    } catch {
      return this.fail('invalid UTF-8 in string')
    }
  }

  json(): void {
    const s = this.string()
    if (s === 'undefined') return
    try {
      JSON.parse(s)
    } catch {
      this.fail('invalid JSON content')
    }
  }

  any(depth = 0): void {
    if (depth > MAX_DEPTH) this.fail('value nested too deeply')
    const tag = this.u8()
    switch (tag) {
      case 127: case 126: case 121: case 120: return
      case 125: this.varInt(); return
      case 124: this.bytes(4); return
      case 123: case 122: this.bytes(8); return
      case 119: this.string(); return
      case 118: {
        const n = this.count('object key')
        for (let i = 0; i < n; i++) {
          this.string()
          this.any(depth + 1)
        }
        return
      }
      case 117: {
        const n = this.count('array item')
        for (let i = 0; i < n; i++) this.any(depth + 1)
        return
      }
      case 116: this.bytes(this.varUint()); return
      default: this.fail(`unknown value tag ${tag}`)
    }
  }
}

/** Reads an item's content; returns its length in clock units (as Yjs counts them). */
function content(r: Reader, ref: number): number {
  switch (ref) {
    case 1: return r.varUint() // deleted: length
    case 2: { // JSON strings
      const n = r.count('JSON item')
      for (let i = 0; i < n; i++) r.json()
      return n
    }
    case 3: r.bytes(r.varUint()); return 1 // binary
    case 4: return r.string().length // UTF-16 code units, as Yjs counts
    case 5: r.json(); return 1 // embed
    case 6: r.string(); r.json(); return 1 // format: key, value
    case 7: { // type
      const typeRef = r.varUint()
      if (typeRef > 6) r.fail(`unknown shared type ${typeRef}`)
      if (typeRef === 3 || typeRef === 5) r.string() // XmlElement / XmlHook name
      return 1
    }
    case 8: { // any
      const n = r.count('value')
      for (let i = 0; i < n; i++) r.any()
      return n
    }
    case 9: r.string(); r.any(); return 1 // subdocument: guid, options
    default: return r.fail(`unknown content type ${ref}`)
  }
}

interface StructRange {
  clock: number
  len: number
  ref: number
}

/** The struct of `client` that covers `clock`, if this update carries it. */
function find(ranges: Map<number, StructRange[]>, client: number, clock: number): StructRange | undefined {
  const list = ranges.get(client)
  if (!list) return undefined
  let lo = 0
  let hi = list.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const s = list[mid]!
    if (clock < s.clock) hi = mid - 1
    else if (clock >= s.clock + s.len) lo = mid + 1
    else return s
  }
  return undefined
}

/**
 * The Yjs client id of an update's first struct group: who wrote it, for an
 * entry's origin. 0 for an update without structs (or unreadable bytes, which
 * the append refuses anyway).
 */
export function firstClient(update: Uint8Array): number {
  const r = new Reader(update)
  try {
    if (r.varUint() === 0) return 0
    r.varUint() // structs in the group
    return r.varUint()
  } catch (e) {
    if (e instanceof FormatError) return 0
    throw e
  }
}

/** Throws `Error` with a reason when `update` is not a complete v1 Yjs update. */
export function checkUpdate(update: Uint8Array): UpdateSummary {
  if (!(update instanceof Uint8Array)) throw new Error('expected bytes (Uint8Array)')
  const r = new Reader(update)
  let structs = 0
  let deletes = 0
  const ranges = new Map<number, StructRange[]>()
  const parentRefs: Array<{ client: number; clock: number; at: number }> = []
  try {
    const clients = r.count('client')
    for (let c = 0; c < clients; c++) {
      const n = r.count('struct')
      const client = r.varUint()
      let clock = r.varUint()
      const list: StructRange[] = []
      ranges.set(client, list)
      for (let i = 0; i < n; i++) {
        const info = r.u8()
        const ref = info & 0x1f
        structs++
        let len: number
        if (ref === 0 || ref === 10) { // GC or Skip
          len = r.varUint()
        } else {
          const hasOrigin = (info & 0x80) !== 0
          const hasRightOrigin = (info & 0x40) !== 0
          // Yjs assumes a reference to an item of the same client points back
          // in that client's history; one pointing forward makes it throw.
          const readRef = (): { client: number; clock: number } => {
            const id = { client: r.varUint(), clock: r.varUint() }
            if (id.client === client && id.clock >= clock) r.fail(`item ${client}:${clock} refers forward to ${id.client}:${id.clock}`)
            return id
          }
          if (hasOrigin) readRef()
          if (hasRightOrigin) readRef()
          if (!hasOrigin && !hasRightOrigin) {
            if (r.varUint() === 1) r.string() // root type name
            else parentRefs.push({ ...readRef(), at: r.pos })
            if (info & 0x20) r.string() // key in a map
          }
          len = content(r, ref)
        }
        if (len < 1) r.fail('a struct of length 0')
        list.push({ clock, len, ref })
        clock += len
      }
    }
    const dsClients = r.count('delete set client')
    for (let c = 0; c < dsClients; c++) {
      r.varUint()
      const n = r.count('delete range')
      for (let i = 0; i < n; i++) { r.varUint(); r.varUint() }
      deletes += n
    }
    if (r.pos !== update.length) r.fail(`${update.length - r.pos} trailing bytes after the update`)
    // Yjs takes an item's parent to be a shared type; one that names an item
    // of this very update with other content makes applyUpdate throw.
    for (const p of parentRefs) {
      const s = find(ranges, p.client, p.clock)
      if (s && s.ref !== 7 && s.ref !== 0 && s.ref !== 10) {
        r.pos = p.at
        r.fail(`an item's parent ${p.client}:${p.clock} is not a shared type`)
      }
    }
  } catch (e) {
    if (e instanceof FormatError) throw new Error(e.message)
    throw e
  }
  return { structs, deletes }
}
