import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SceneDoc } from '../../src/crdt/index.js'
import { decodeSegment, encodeSegment, type SegmentItem } from '../../src/log/segment-codec.js'
import { checkProperty } from '../helpers/prop.js'

/** Real updates: one editor dragging objects, stamped as agents write them. */
function drag(n: number): Uint8Array[] {
  const scene = new SceneDoc(new Y.Doc())
  const out: Uint8Array[] = []
  scene.doc.on('update', (u: Uint8Array) => out.push(u))
  scene.upsertObject('a', { name: 'A', type: 'EMPTY' })
  for (let i = 0; i < n; i++) scene.writeXformChannels('a', { mode: 'XYZ', location: [i * 0.1, 0, 1], rotation: [0, 0, 0], scale: [1, 1, 1] }, { channels: ['location'], time: 1_767_225_600_000 + i * 16 })
  return out
}

/** The body format before compression: varuint originId, varuint length, bytes. */
function plainBody(items: SegmentItem[]): Uint8Array {
  const bytes: number[] = []
  const varUint = (n: number) => {
    while (n >= 0x80) {
      bytes.push((n & 0x7f) | 0x80)
      n = Math.floor(n / 128)
    }
    bytes.push(n)
  }
  for (const it of items) {
    varUint(it.originId)
    varUint(it.update.length)
    bytes.push(...it.update)
  }
  return new Uint8Array(bytes)
}

describe('log segment codec', () => {
  it('[L3] any segment reads back byte for byte, compressed or not', async () => {
    const item = fc.record({ originId: fc.integer({ min: 1, max: 1 << 30 }), update: fc.uint8Array({ maxLength: 300 }) })
    await checkProperty(
      'segment codec round trip',
      fc.property(fc.array(item, { minLength: 1, maxLength: 40 }), (items) => {
        const back = decodeSegment(encodeSegment(items))
        expect(back.map((i) => [i.originId, [...i.update]])).toEqual(items.map((i) => [i.originId, [...i.update]]))
      }),
      { numRuns: 200 },
    )
  })

  it('a group commit of a drag is stored in well under half its size', () => {
    const updates = drag(64)
    const items = updates.map((update) => ({ originId: 1, update }))
    const raw = updates.reduce((n, u) => n + u.length, 0)
    const stored = encodeSegment(items)
    expect(stored[0]).toBe(0)
    expect(stored.length).toBeLessThan(raw * 0.5)
  })

  it('incompressible bytes are stored as they are', () => {
    const noise = Uint8Array.from({ length: 64 }, (_, i) => (i * 2654435761) >>> 24)
    const stored = encodeSegment([{ originId: 3, update: noise }])
    expect(stored[0]).toBe(3)
    expect([...decodeSegment(stored)[0]!.update]).toEqual([...noise])
  })

  it('bodies written before compression still read', () => {
    const items = drag(5).map((update, i) => ({ originId: 200 + i, update }))
    const back = decodeSegment(plainBody(items))
    expect(back.map((i) => i.originId)).toEqual(items.map((i) => i.originId))
    expect(back.map((i) => [...i.update])).toEqual(items.map((i) => [...i.update]))
  })

  it('a damaged compressed body is reported as a corrupt segment, not returned', () => {
    const stored = encodeSegment(drag(20).map((update) => ({ originId: 1, update })))
    const torn = stored.slice(0, Math.floor(stored.length / 2))
    expect(() => decodeSegment(torn)).toThrow(/corrupt log segment/)
  })
})
