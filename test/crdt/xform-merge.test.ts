import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  IDENTITY_XFORM,
  SceneDoc,
  type StampedXform,
  type Xform,
  concurrentXformReplacements,
  decodeStampedXform,
  encodeStampedXform,
  encodeXform,
  mergeXform,
  writeChannels,
} from '../../src/crdt/index.js'
import { XformNet } from '../helpers/xform-net.js'

const X = (location: number[], scale: number[] = [1, 1, 1], rotation: number[] = [0, 0, 0], mode: Xform['mode'] = 'XYZ'): Xform =>
  ({ mode, location, rotation, scale }) as Xform
const S = (xform: Xform, times: [number, number, number]): StampedXform => ({ xform, times })

describe('stamped xform value', () => {
  it('stores the three channel times after the channels and reads values stored without them as time 0', () => {
    const s = S(X([1, 2, 3], [2, 2, 2]), [1_700_000_000_123, 5, 7])
    const stored = encodeStampedXform(s)
    expect(stored).toHaveLength(13)
    expect(decodeStampedXform(stored)).toEqual({ ok: true, value: s })
    const q = S({ ...IDENTITY_XFORM, mode: 'QUATERNION', rotation: [1, 0, 0, 0] }, [1, 2, 3])
    expect(encodeStampedXform(q)).toHaveLength(14)
    expect(decodeStampedXform(encodeXform(s.xform))).toEqual({ ok: true, value: { xform: s.xform, times: [0, 0, 0] } })
    expect(decodeStampedXform([2, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, -1, 1])).toMatchObject({ ok: false, reason: expect.stringMatching(/channel time and must not be negative/) })
    expect(decodeStampedXform([2, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1])).toMatchObject({ ok: false, reason: expect.stringMatching(/must hold 10 values \(or 13 with channel times\), got 11/) })
  })
})

describe('mergeXform', () => {
  it('takes each channel from the value that edited it last, the doc\'s current value on a tie', () => {
    const cur = S(X([1, 1, 1], [1, 1, 1], [0.5, 0, 0]), [20, 10, 5])
    const other = S(X([2, 2, 2], [3, 3, 3], [0, 0.5, 0], 'ZXY'), [10, 10, 9])
    const m = mergeXform(cur, other)
    expect(m).toEqual(S(X([1, 1, 1], [3, 3, 3], [0.5, 0, 0]), [20, 10, 9]))
    // The rotation channel carries its mode.
    expect(mergeXform(cur, S(other.xform, [0, 11, 0])).xform).toEqual(X([1, 1, 1], [1, 1, 1], [0, 0.5, 0], 'ZXY'))
  })
})

describe('writeChannels', () => {
  const cur = S(X([1, 1, 1]), [100, 100, 100])

  it('a live write changes only the given channels and stamps them after the value it replaces, even from a clock that is behind', () => {
    const r = writeChannels(cur, X([5, 5, 5], [2, 2, 2]), { channels: ['scale'], time: 40 })
    expect(r.value).toEqual(S(X([1, 1, 1], [2, 2, 2]), [100, 100, 101]))
    expect(r.written).toEqual(['scale'])
  })

  it('an unchanged channel keeps its time, and a write that changes nothing stores nothing', () => {
    const r = writeChannels(cur, X([1, 1, 1], [2, 2, 2]), { time: 500 })
    expect(r.value.times).toEqual([100, 100, 500])
    expect(writeChannels(cur, cur.xform, { time: 500 })).toEqual({ value: cur, written: [], kept: [] })
  })

  it('an edit made in the past keeps the channels the doc holds a newer edit of', () => {
    const r = writeChannels(S(X([1, 1, 1]), [300, 50, 50]), X([9, 9, 9], [2, 2, 2]), { time: 200, past: true })
    expect(r.value).toEqual(S(X([1, 1, 1], [2, 2, 2]), [300, 50, 200]))
    expect(r.kept).toEqual(['location'])
  })
})

describe('concurrent transform writes', () => {
  const setup = () => {
    const a = new SceneDoc(Object.assign(new Y.Doc(), { clientID: 1 }))
    const b = new SceneDoc(Object.assign(new Y.Doc(), { clientID: 2 }))
    a.upsertObject('o', { name: 'O', type: 'EMPTY' })
    a.writeXformChannels('o', X([0, 0, 0]), { time: 10 })
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc))
    return { a, b }
  }
  const seen = (doc: SceneDoc, update: Uint8Array) => {
    let found: ReturnType<typeof concurrentXformReplacements> = []
    const h = (tr: Y.Transaction) => (found = concurrentXformReplacements(tr, doc.objects))
    doc.doc.on('afterTransaction', h)
    Y.applyUpdate(doc.doc, update)
    doc.doc.off('afterTransaction', h)
    return found
  }

  it('a causal overwrite is not a conflict, whatever its times say', () => {
    const { a, b } = setup()
    // A legacy client (no times) overwrites a stamped value: it saw the value, so it wins.
    b.setXform('o', X([7, 7, 7]))
    expect(seen(a, Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc)))).toEqual([])
  })

  it('the replica whose value lost sees the winner replace it concurrently, with both values', () => {
    const { a, b } = setup()
    a.writeXformChannels('o', X([5, 0, 0]), { channels: ['location'], time: 30 })
    b.writeXformChannels('o', X([0, 0, 0], [2, 2, 2]), { channels: ['scale'], time: 20 })
    const ua = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc))
    const ub = Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc))
    // Yjs keeps the write of the higher client id (b's) here: a held the loser.
    const atA = seen(a, ub)
    const atB = seen(b, ua)
    expect(atB).toEqual([])
    expect(atA).toHaveLength(1)
    expect(decodeStampedXform(atA[0]!.winner)).toMatchObject({ ok: true, value: { times: [10, 10, 20] } })
    expect(decodeStampedXform(atA[0]!.replaced)).toMatchObject({ ok: true, value: { times: [30, 10, 10] } })
  })

  it('bones are seen like objects', () => {
    const { a, b } = setup()
    a.writeXformChannels('o', X([1, 0, 0]), { time: 30 }, 'spine')
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc))
    a.writeXformChannels('o', X([2, 0, 0]), { channels: ['location'], time: 50 }, 'spine')
    b.writeXformChannels('o', X([1, 0, 0], [3, 3, 3]), { channels: ['scale'], time: 40 }, 'spine')
    const found = seen(a, Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc)))
    expect(found.map((f) => [f.id, f.bone])).toEqual([['o', 'spine']])
  })
})

describe('[B3] regression: an offline scale and a later live move of the same object both survive', () => {
  // The example: B disconnects and scales the cube; meanwhile A moves it;
  // B reconnects. Before per-channel merging, A's later move was lost.
  for (const bIsHigher of [true, false]) {
    it(`whichever write Yjs keeps (B's client id ${bIsHigher ? 'higher' : 'lower'})`, () => {
      const net = new XformNet(2)
      if (!bIsHigher) net.replicas[1]!.scene.doc.clientID = 50
      net.create(0, 'cube', X([0, 0, 0]))
      net.settle()
      net.setOnline(1, false)
      net.now += 1000
      net.edit(1, 'cube', X([0, 0, 0], [2, 2, 2]), ['scale']) // B, offline
      net.now += 1000
      net.edit(0, 'cube', X([4, 0, 0]), ['location']) // A, later, live
      net.settle()
      net.now += 1000
      net.setOnline(1, true)
      net.settle()
      for (const i of [0, 1]) expect(net.value(i, 'cube')!.xform).toEqual(X([4, 0, 0], [2, 2, 2]))
      expect(net.value(0, 'cube')).toEqual(net.value(1, 'cube'))
    })
  }

  it('for the same channel the newer edit wins, not the reconnecting one', () => {
    const net = new XformNet(2)
    net.create(0, 'cube', X([0, 0, 0]))
    net.settle()
    net.setOnline(1, false)
    net.now += 1000
    net.edit(1, 'cube', X([0, 0, 0], [2, 2, 2]), ['scale']) // B, offline, first
    net.now += 1000
    net.edit(0, 'cube', X([0, 0, 0], [5, 5, 5]), ['scale']) // A, later
    net.settle()
    net.setOnline(1, true)
    net.settle()
    for (const i of [0, 1]) expect(net.value(i, 'cube')!.xform.scale).toEqual([5, 5, 5])
  })
})
