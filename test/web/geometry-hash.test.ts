import { describe, expect, it } from 'vitest'
import { geometryHash } from '../../src/crdt/geometry-hash.js'
import { geometryHash as browserHash } from '../../web/src/geometry-hash.js'

describe('geometry names in the page', () => {
  it('[D2] the page names geometry as the server does (lib0 SHA-256 against node:crypto), whole or in chunks', () => {
    let seed = 7
    const bytes = new Uint8Array(300_001).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 65_536), bytes.subarray(65_536)]
    expect(browserHash(bytes)).toBe(geometryHash(bytes))
    expect(browserHash(chunks)).toBe(geometryHash(bytes))
    expect(browserHash(new Uint8Array(0))).toBe(geometryHash(new Uint8Array(0)))
  })
})
