/**
 * The container of the geometry encoding (docs/geometry-format.md): a 12-byte
 * header and tagged sections, each padded to 4 bytes so every array starts
 * 4-aligned and can be viewed as a typed array without copying.
 *
 *   "SGEO" • u16 version • u16 kind • u32 section count
 *   per section: u32 tag (4 ASCII bytes) • u32 payload length • payload • zero padding to 4
 *
 * Little-endian throughout. This module knows the container, not what a mesh is.
 */

export const GEOMETRY_MAGIC = 0x4f454753 // "SGEO" read as a little-endian u32
export const GEOMETRY_VERSION = 1
export const HEADER_BYTES = 12
export const KIND_CODES = { MESH: 1, ARMATURE: 2, CURVE: 3 } as const
export type GeometryKind = keyof typeof KIND_CODES

export class GeometryFormatError extends Error {
  readonly code = 'invalid_geometry'
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

export function tagOf(name: string): number {
  if (name.length !== 4) throw new Error(`section tag must be 4 characters, got ${JSON.stringify(name)}`)
  return name.charCodeAt(0) | (name.charCodeAt(1) << 8) | (name.charCodeAt(2) << 16) | (name.charCodeAt(3) << 24)
}

export function tagName(tag: number): string {
  return String.fromCharCode(tag & 0xff, (tag >>> 8) & 0xff, (tag >>> 16) & 0xff, (tag >>> 24) & 0xff)
}

const pad4 = (n: number) => (n + 3) & ~3

export interface Section {
  tag: string
  bytes: Uint8Array
}

/** Writes sections in the order given (the encoders fix one order, so equal geometry gives equal bytes). */
export function writeContainer(kind: GeometryKind, sections: Section[]): Uint8Array {
  let total = HEADER_BYTES
  for (const s of sections) total += 8 + pad4(s.bytes.length)
  const out = new Uint8Array(total)
  const dv = new DataView(out.buffer)
  dv.setUint32(0, GEOMETRY_MAGIC, true)
  dv.setUint16(4, GEOMETRY_VERSION, true)
  dv.setUint16(6, KIND_CODES[kind], true)
  dv.setUint32(8, sections.length, true)
  let at = HEADER_BYTES
  for (const s of sections) {
    dv.setUint32(at, tagOf(s.tag), true)
    dv.setUint32(at + 4, s.bytes.length, true)
    out.set(s.bytes, at + 8)
    at += 8 + pad4(s.bytes.length)
  }
  return out
}

export interface Container {
  kind: GeometryKind
  version: number
  sections: Map<string, Uint8Array[]>
}

/** Reads the header and the section table; every length is checked against the bytes present. */
export function readContainer(bytes: Uint8Array): Container {
  if (bytes.length < HEADER_BYTES) throw new GeometryFormatError(`geometry must start with a ${HEADER_BYTES}-byte header, got ${bytes.length} bytes`)
  // Typed views need 4-aligned offsets: copy a buffer that is not (rare: Yjs hands out fresh arrays).
  const b = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice()
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  if (dv.getUint32(0, true) !== GEOMETRY_MAGIC) throw new GeometryFormatError('geometry must start with the magic "SGEO"')
  const version = dv.getUint16(4, true)
  if (version !== GEOMETRY_VERSION) throw new GeometryFormatError(`geometry version ${version} is not supported (this reader knows version ${GEOMETRY_VERSION})`)
  const code = dv.getUint16(6, true)
  const kind = (Object.keys(KIND_CODES) as GeometryKind[]).find((k) => KIND_CODES[k] === code)
  if (!kind) throw new GeometryFormatError(`geometry kind ${code} is unknown (1 mesh, 2 armature, 3 curve)`)
  const count = dv.getUint32(8, true)
  const sections = new Map<string, Uint8Array[]>()
  let at = HEADER_BYTES
  for (let i = 0; i < count; i++) {
    if (at + 8 > b.length) throw new GeometryFormatError(`section ${i} of ${count} starts past the end (byte ${at} of ${b.length})`)
    const tag = tagName(dv.getUint32(at, true))
    const len = dv.getUint32(at + 4, true)
    if (at + 8 + len > b.length) throw new GeometryFormatError(`section ${tag} announces ${len} bytes, ${b.length - at - 8} present`)
    const list = sections.get(tag) ?? []
    list.push(b.subarray(at + 8, at + 8 + len))
    sections.set(tag, list)
    at += 8 + pad4(len)
  }
  // Writers pad the last section too, so the sections end exactly at the end.
  if (at !== b.length) throw new GeometryFormatError(at < b.length ? `${b.length - at} bytes after the last section` : 'the last section is not padded to 4 bytes')
  return { kind, version, sections }
}

type TypedCtor<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number }

/** A section as a typed array of `count` items (a view, not a copy). */
export function arrayOf<T>(c: Container, tag: string, ctor: TypedCtor<T>, count: number, required: true): T
export function arrayOf<T>(c: Container, tag: string, ctor: TypedCtor<T>, count: number, required: false): T | null
export function arrayOf<T>(c: Container, tag: string, ctor: TypedCtor<T>, count: number, required: boolean): T | null {
  const s = single(c, tag, required)
  if (!s) return null
  const want = count * ctor.BYTES_PER_ELEMENT
  if (s.length !== want) throw new GeometryFormatError(`section ${tag} must hold ${count} × ${ctor.BYTES_PER_ELEMENT} bytes (${want}), got ${s.length}`)
  if (!LITTLE_ENDIAN) throw new GeometryFormatError('this reader runs only on little-endian machines')
  return new ctor(s.buffer, s.byteOffset, count)
}

export function single(c: Container, tag: string, required: boolean): Uint8Array | null {
  const list = c.sections.get(tag)
  if (!list) {
    if (required) throw new GeometryFormatError(`${c.kind} geometry needs a ${tag} section`)
    return null
  }
  if (list.length > 1) throw new GeometryFormatError(`section ${tag} appears ${list.length} times`)
  return list[0]!
}

/** u32 values of a small fixed header section. */
export function header(c: Container, tag: string, n: number): number[] {
  const s = single(c, tag, true)!
  if (s.length !== n * 4) throw new GeometryFormatError(`section ${tag} must hold ${n} u32 values, got ${s.length} bytes`)
  const dv = new DataView(s.buffer, s.byteOffset, s.byteLength)
  return Array.from({ length: n }, (_, i) => dv.getUint32(i * 4, true))
}

export function u32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Uint32Array(values).buffer)
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })

/** Strings as u32 byte length + UTF-8, one after the other (no padding between). */
export function encodeStrings(names: string[]): Uint8Array {
  const parts = names.map((n) => utf8.encode(n))
  const out = new Uint8Array(parts.reduce((s, p) => s + 4 + p.length, 0))
  const dv = new DataView(out.buffer)
  let at = 0
  for (const p of parts) {
    dv.setUint32(at, p.length, true)
    out.set(p, at + 4)
    at += 4 + p.length
  }
  return out
}

export function decodeStrings(s: Uint8Array, count: number, what: string): string[] {
  const dv = new DataView(s.buffer, s.byteOffset, s.byteLength)
  const out: string[] = []
  let at = 0
  for (let i = 0; i < count; i++) {
    if (at + 4 > s.length) throw new GeometryFormatError(`${what}: string ${i} of ${count} starts past the end`)
    const len = dv.getUint32(at, true)
    if (at + 4 + len > s.length) throw new GeometryFormatError(`${what}: string ${i} runs past the end`)
    try {
      out.push(utf8Strict.decode(s.subarray(at + 4, at + 4 + len)))
    } catch {
      throw new GeometryFormatError(`${what}: string ${i} is not valid UTF-8`)
    }
    at += 4 + len
  }
  if (at !== s.length) throw new GeometryFormatError(`${what}: ${s.length - at} bytes after the last string`)
  return out
}
