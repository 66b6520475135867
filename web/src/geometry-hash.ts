/**
 * The browser's `src/crdt/geometry-hash.ts` (web/build.ts swaps it in): the
 * same name for a geometry value, SHA-256 in lower-case hex, from lib0's
 * synchronous SHA-256, because `node:crypto` is not in a browser and
 * `crypto.subtle` is asynchronous and exists only on secure origins.
 */
import { digest } from 'lib0/hash/sha256'

export const HASH_PATTERN = /^[0-9a-f]{64}$/

export function geometryHash(bytes: Uint8Array | Uint8Array[]): string {
  const parts = Array.isArray(bytes) ? bytes : [bytes]
  let all = parts[0] ?? new Uint8Array(0)
  if (parts.length > 1) {
    all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of parts) {
      all.set(p, at)
      at += p.length
    }
  }
  let hex = ''
  for (const b of digest(all)) hex += b.toString(16).padStart(2, '0')
  return hex
}
