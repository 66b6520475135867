/**
 * The name of a geometry value: the SHA-256 of its bytes, in lower-case hex.
 * Equal geometry encodes to equal bytes, so it is stored and sent once (`[D2]`).
 */
import { createHash } from 'node:crypto'

export const HASH_PATTERN = /^[0-9a-f]{64}$/

export function geometryHash(bytes: Uint8Array | Uint8Array[]): string {
  const h = createHash('sha256')
  for (const b of Array.isArray(bytes) ? bytes : [bytes]) h.update(b)
  return h.digest('hex')
}
