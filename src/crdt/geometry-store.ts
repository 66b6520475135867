/**
 * Geometry values in the doc, content-addressed and chunked.
 *
 * Root map `geometry`: `<sha-256 hex>/<i>` → Uint8Array of at most CHUNK_BYTES.
 * A data block's `geometry` key holds `{ hash, size, chunks }` once all its
 * chunks are in. Each chunk is written in its own transaction, so each is its
 * own update: a million-vertex mesh (about 100 MB) travels as updates far below
 * the server's message limit and the log's transaction sizes, inside the
 * y-websocket protocol like anything else. Readers wait until every chunk of a
 * reference is present and its bytes hash to the name.
 *
 * The same geometry twice is one set of chunks (`[D2]`). Chunks no data block
 * refers to any more are deleted, so Yjs garbage collection frees them in the
 * live doc; the log keeps every version (`[D4]`).
 */
import * as Y from 'yjs'
import { HASH_PATTERN, geometryHash } from './geometry-hash.js'
import { type Checked, describeValue } from './xform.js'

export const GEOMETRY_KEY = 'geometry'
export const CHUNK_BYTES = 1 << 20
/** 2 GiB: beyond anything Blender or a Uint8Array in one piece handles comfortably. */
export const MAX_GEOMETRY_BYTES = 2 ** 31 - 1

export interface GeometryRef {
  hash: string
  size: number
  chunks: number
}

export function chunkKey(hash: string, i: number): string {
  return `${hash}/${i}`
}

/** The hash a chunk key belongs to, or null for a key that is not one. */
export function hashOfChunkKey(key: string): string | null {
  const slash = key.indexOf('/')
  if (slash !== 64) return null
  const hash = key.slice(0, 64)
  return HASH_PATTERN.test(hash) && /^\d+$/.test(key.slice(65)) ? hash : null
}

export function chunkCount(size: number, chunkBytes = CHUNK_BYTES): number {
  return Math.max(1, Math.ceil(size / chunkBytes))
}

export function checkGeometryRef(v: unknown): Checked<GeometryRef | null> {
  if (v === null) return { ok: true, value: null }
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Y.AbstractType) {
    return { ok: false, reason: `geometry must be { hash, size, chunks } or null, got ${describeValue(v)}` }
  }
  const o = v as Record<string, unknown>
  if (typeof o.hash !== 'string' || !HASH_PATTERN.test(o.hash)) return { ok: false, reason: `geometry.hash must be 64 lower-case hex digits (SHA-256), got ${describeValue(o.hash)}` }
  if (typeof o.size !== 'number' || !Number.isInteger(o.size) || o.size < 12 || o.size > MAX_GEOMETRY_BYTES) {
    return { ok: false, reason: `geometry.size must be a byte count of 12..${MAX_GEOMETRY_BYTES}, got ${describeValue(o.size)}` }
  }
  if (typeof o.chunks !== 'number' || !Number.isInteger(o.chunks) || o.chunks < 1 || o.chunks > o.size) {
    return { ok: false, reason: `geometry.chunks must be an integer of 1..size, got ${describeValue(o.chunks)}` }
  }
  return { ok: true, value: { hash: o.hash, size: o.size, chunks: o.chunks } }
}

export function missingChunks(blobs: Y.Map<unknown>, ref: GeometryRef): number[] {
  const out: number[] = []
  for (let i = 0; i < ref.chunks; i++) if (!(blobs.get(chunkKey(ref.hash, i)) instanceof Uint8Array)) out.push(i)
  return out
}

export type Assembled = { ok: true; bytes: Uint8Array } | { ok: false; missing: number[] } | { ok: false; missing: []; reason: string }

/**
 * The bytes of a reference: null-free only when every chunk is present, the
 * sizes add up and the bytes hash to the reference's name.
 */
export function assemble(blobs: Y.Map<unknown>, ref: GeometryRef): Assembled {
  const missing = missingChunks(blobs, ref)
  if (missing.length > 0) return { ok: false, missing }
  const parts: Uint8Array[] = []
  let total = 0
  for (let i = 0; i < ref.chunks; i++) {
    const c = blobs.get(chunkKey(ref.hash, i)) as Uint8Array
    parts.push(c)
    total += c.length
  }
  if (total !== ref.size) return { ok: false, missing: [], reason: `the chunks of ${ref.hash.slice(0, 12)}… hold ${total} bytes, the reference says ${ref.size}` }
  const bytes = parts.length === 1 ? parts[0]! : concat(parts, total)
  if (geometryHash(bytes) !== ref.hash) return { ok: false, missing: [], reason: `the chunks of ${ref.hash.slice(0, 12)}… do not hash to that name` }
  return { ok: true, bytes }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * Writes the chunks of `bytes` that are not in the doc yet, each in its own
 * transaction; returns the reference to store once they are all in.
 */
export function writeChunks(doc: Y.Doc, blobs: Y.Map<unknown>, bytes: Uint8Array, hash: string, origin: unknown, chunkBytes = CHUNK_BYTES): GeometryRef {
  const chunks = chunkCount(bytes.length, chunkBytes)
  for (let i = 0; i < chunks; i++) {
    const key = chunkKey(hash, i)
    if (blobs.get(key) instanceof Uint8Array) continue
    // A copy: Yjs keeps the array it is given, and `bytes` may be a view into a larger buffer.
    const part = bytes.slice(i * chunkBytes, Math.min(bytes.length, (i + 1) * chunkBytes))
    doc.transact(() => blobs.set(key, part), origin)
  }
  return { hash, size: bytes.length, chunks }
}

/**
 * The keys of every chunk stored under `hash`. Only a hash its writer just
 * stopped referencing is released: chunks arrive before their reference, so
 * "referenced by nobody yet" is not "garbage".
 */
export function chunkKeysOf(blobs: Y.Map<unknown>, hash: string): string[] {
  const out: string[] = []
  for (const key of blobs.keys()) if (hashOfChunkKey(key) === hash) out.push(key)
  return out
}
