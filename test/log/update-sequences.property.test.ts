/**
 * `[L4]` checks each update alone. Could one that passes leave a pending
 * struct that makes Yjs throw on a later, valid update (one whose parent turns
 * out to be an item that is not a shared type, a reference into a gap)? Here
 * the suspected sequences are sent by a raw client through a real server, and
 * random sequences of updates that each pass the check are applied in order.
 */
import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { START } from '../../src/log/event-log.js'
import { checkUpdate } from '../../src/log/update-format.js'
import { ClockHorizon, integrationProblem } from '../../src/server/integration-check.js'
import { checkProperty } from '../helpers/prop.js'
import { RawClient } from '../helpers/raw-client.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

type Parent = { root: string } | { id: [number, number] }
type Content = { kind: 'any'; value: number } | { kind: 'string'; text: string } | { kind: 'type'; typeRef: number } | { kind: 'deleted'; len: number } | { kind: 'binary' } | { kind: 'embed' } | { kind: 'format' } | { kind: 'doc' } | { kind: 'json' }
type Struct =
  | { t: 'gc' | 'skip'; len: number }
  | { t: 'item'; origin: [number, number] | null; right: [number, number] | null; parent: Parent; sub: string | null; content: Content }
interface Group {
  client: number
  clock: number
  structs: Struct[]
}

const REFS: Record<Content['kind'], number> = { deleted: 1, json: 2, binary: 3, string: 4, embed: 5, format: 6, type: 7, any: 8, doc: 9 }

/** Writes an update in the v1 format by hand: what a client we did not write may send. */
function encode(groups: Group[], deletes: Array<[number, number, number]> = []): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, groups.length)
  for (const g of groups) {
    encoding.writeVarUint(e, g.structs.length)
    encoding.writeVarUint(e, g.client)
    encoding.writeVarUint(e, g.clock)
    for (const s of g.structs) {
      if (s.t !== 'item') {
        encoding.writeUint8(e, s.t === 'gc' ? 0 : 10)
        encoding.writeVarUint(e, s.len)
        continue
      }
      const c = s.content
      encoding.writeUint8(e, (s.origin ? 0x80 : 0) | (s.right ? 0x40 : 0) | (!s.origin && !s.right && s.sub !== null ? 0x20 : 0) | REFS[c.kind])
      const id = (x: [number, number]) => (encoding.writeVarUint(e, x[0]), encoding.writeVarUint(e, x[1]))
      if (s.origin) id(s.origin)
      if (s.right) id(s.right)
      if (!s.origin && !s.right) {
        if ('root' in s.parent) {
          encoding.writeVarUint(e, 1)
          encoding.writeVarString(e, s.parent.root)
        } else {
          encoding.writeVarUint(e, 0)
          id(s.parent.id)
        }
        if (s.sub !== null) encoding.writeVarString(e, s.sub)
      }
      switch (c.kind) {
        case 'any': encoding.writeVarUint(e, 1); encoding.writeAny(e, c.value); break
        case 'string': encoding.writeVarString(e, c.text); break
        case 'type': encoding.writeVarUint(e, c.typeRef); break
        case 'deleted': encoding.writeVarUint(e, c.len); break
        case 'binary': encoding.writeVarUint8Array(e, new Uint8Array([1, 2])); break
        case 'embed': encoding.writeVarString(e, '{"a":1}'); break
        case 'format': encoding.writeVarString(e, 'bold'); encoding.writeVarString(e, 'true'); break
        case 'doc': encoding.writeVarString(e, 'sub-guid'); encoding.writeAny(e, {}); break
        case 'json': encoding.writeVarUint(e, 1); encoding.writeVarString(e, '1'); break
      }
    }
  }
  encoding.writeVarUint(e, new Set(deletes.map((d) => d[0])).size)
  for (const client of new Set(deletes.map((d) => d[0]))) {
    const mine = deletes.filter((d) => d[0] === client)
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, mine.length)
    for (const [, clock, len] of mine) (encoding.writeVarUint(e, clock), encoding.writeVarUint(e, len))
  }
  return encoding.toUint8Array(e)
}

const item = (parent: Parent, content: Content, sub: string | null = 'k'): Struct => ({ t: 'item', origin: null, right: null, parent, sub, content })

function passes(u: Uint8Array): boolean {
  try {
    checkUpdate(u)
    return true
  } catch {
    return false
  }
}

const CLIENTS = [5, 9, 13]
const idArb = fc.tuple(fc.constantFrom(...CLIENTS), fc.nat(7))
const contentArb: fc.Arbitrary<Content> = fc.oneof(
  fc.nat(99).map((value) => ({ kind: 'any' as const, value })),
  fc.constantFrom('a', 'ab', '😀', 'a😀').map((text) => ({ kind: 'string' as const, text })),
  fc.nat(2).map((typeRef) => ({ kind: 'type' as const, typeRef })),
  fc.integer({ min: 1, max: 2 }).map((len) => ({ kind: 'deleted' as const, len })),
  fc.constantFrom('binary', 'embed', 'format', 'doc', 'json').map((kind) => ({ kind }) as Content),
)
const structArb: fc.Arbitrary<Struct> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constantFrom('gc' as const, 'skip' as const), len: fc.integer({ min: 1, max: 2 }) }), weight: 1 },
  {
    arbitrary: fc.record({
      t: fc.constant('item' as const),
      origin: fc.option(idArb, { freq: 3 }),
      right: fc.option(idArb, { freq: 4 }),
      parent: fc.oneof(fc.constantFrom('objects', 'text').map((root) => ({ root })), idArb.map((id) => ({ id }))),
      sub: fc.option(fc.constantFrom('k0', 'k1'), { freq: 2 }),
      content: contentArb,
    }),
    weight: 4,
  },
)
const updateArb = fc
  .tuple(
    fc.uniqueArray(fc.record({ client: fc.constantFrom(...CLIENTS), clock: fc.nat(5), structs: fc.array(structArb, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 2, selector: (g) => g.client }),
    fc.array(fc.tuple(fc.constantFrom(...CLIENTS), fc.nat(6), fc.integer({ min: 1, max: 2 })), { maxLength: 1 }),
  )
  .map(([groups, deletes]) => encode(groups, deletes))
  .filter(passes)

function provider(url: string): { doc: Y.Doc; p: WebsocketProvider; errors: unknown[] } {
  const doc = new Y.Doc()
  const p = new WebsocketProvider(url, 'poison', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
  const errors: unknown[] = []
  cleanup.push(() => p.destroy())
  return { doc, p, errors }
}

describe('[L4] sequences of updates', () => {
  it('[L4] a pending item whose parent later turns out not to be a shared type does not make Yjs throw on later updates, at the server or at stock clients', async () => {
    const s: TestServer = await startServer()
    cleanup.push(() => s.stop())
    const watcher = provider(s.url)
    await waitFor(() => watcher.p.synced)
    const raw = await RawClient.connect(`${s.url}/poison`)
    cleanup.push(() => raw.close())
    await waitFor(() => raw.received.length > 0)
    // 1: an item of client 5 under parent 9:0, which nobody has: Yjs holds it pending.
    const pending = encode([{ client: 5, clock: 0, structs: [item({ id: [9, 0] }, { kind: 'any', value: 1 })] }])
    // 2: 9:0 arrives, and it is a plain value, not a map: the pending item's parent is no type.
    const notAType = encode([{ client: 9, clock: 0, structs: [item({ root: 'objects' }, { kind: 'any', value: 42 })] }])
    // 3: a reference into a gap of client 13, then the gap filled with a string.
    const intoGap = encode([{ client: 13, clock: 3, structs: [item({ id: [13, 1] }, { kind: 'any', value: 2 })] }])
    const gapFilled = encode([{ client: 13, clock: 0, structs: [item({ root: 'objects' }, { kind: 'string', text: 'abc' }, 'g')] }])
    for (const u of [pending, notAType, intoGap, gapFilled]) {
      expect(passes(u)).toBe(true)
      raw.sendUpdate(u)
      await waitFor(() => raw.echoed(u) || raw.closed !== null, 5000, 'the echo')
      expect(raw.closed).toBeNull()
    }
    // Later valid edits from stock providers still integrate everywhere.
    const late = provider(s.url)
    await waitFor(() => late.p.synced)
    watcher.doc.getMap('objects').set('after', 'valid')
    await waitFor(() => late.doc.getMap('objects').get('after') === 'valid', 5000, 'a valid edit after the sequence')
    late.doc.getMap('objects').set('back', 1)
    await waitFor(() => watcher.doc.getMap('objects').get('back') === 1, 5000, 'and back')
    expect(s.server.metrics.rejected.get('apply_failed')).toBeUndefined()
    // The log replays to the same content as the clients hold.
    const replay = new Y.Doc()
    for (const e of await s.log.readRoom('poison', START)) Y.applyUpdate(replay, e.update)
    expect(replay.getMap('objects').toJSON()).toEqual(watcher.doc.getMap('objects').toJSON())
  })

  it('[L4] random sequences of updates that each pass the format check and the room\'s integration check apply in order without Yjs throwing', () =>
    checkProperty(
      'L4 update sequences',
      fc.property(fc.array(updateArb, { minLength: 2, maxLength: 6 }), (updates) => {
        const doc = new Y.Doc()
        const horizon = new ClockHorizon()
        for (const u of updates) {
          // What the room does: an overlapping update is tried on a copy first, and refused if Yjs fails on it.
          if (horizon.overlaps(doc, u) && integrationProblem(doc, [u])) continue
          Y.applyUpdate(doc, u)
        }
        // A later valid update from an ordinary client still applies, and the doc encodes.
        const other = new Y.Doc()
        other.getMap('objects').set('later', 1)
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))
        expect(doc.getMap('objects').get('later')).toBe(1)
        Y.encodeStateAsUpdate(doc)
      }),
      { numRuns: 500 },
    ))

  // Found by the property above (seed 1421286327): client 9's clock 0 is a GC struct in the
  // first update and the start of a two-clock string in the second; Yjs then reads the GC
  // struct as an item and throws. The server refused nothing and broadcast it to everyone.
  const GC_THEN_ITEM = [
    [1, 2, 9, 0, 0, 1, 68, 5, 0, 1, 97, 0],
    [1, 2, 9, 0, 4, 1, 7, 111, 98, 106, 101, 99, 116, 115, 4, 240, 159, 152, 128, 72, 5, 0, 1, 125, 0, 0],
  ].map((a) => Uint8Array.from(a))

  it('[L4] regression 1421286327: an update claiming clocks the room holds as a GC struct is refused before it is logged; the room and its clients go on', async () => {
    for (const u of GC_THEN_ITEM) expect(passes(u)).toBe(true)
    const plain = new Y.Doc()
    Y.applyUpdate(plain, GC_THEN_ITEM[0]!)
    expect(() => Y.applyUpdate(plain, GC_THEN_ITEM[1]!)).toThrow()
    const s: TestServer = await startServer()
    cleanup.push(() => s.stop())
    const watcher = provider(s.url)
    await waitFor(() => watcher.p.synced)
    const raw = await RawClient.connect(`${s.url}/poison`)
    cleanup.push(() => raw.close())
    await waitFor(() => raw.received.length > 0)
    raw.sendUpdate(GC_THEN_ITEM[0]!)
    await waitFor(() => raw.echoed(GC_THEN_ITEM[0]!), 5000, 'the first update echoed')
    raw.sendUpdate(GC_THEN_ITEM[1]!)
    const closed = await raw.closedWith()
    expect(closed.code).toBe(4422)
    expect(closed.reason).toMatch(/claims clocks the room already holds/)
    expect(s.server.metrics.rejected.get('invalid_update')).toBe(1)
    expect(s.server.metrics.rejected.get('apply_failed')).toBeUndefined()
    expect((await s.log.readRoom('poison', START)).map((e) => Buffer.from(e.update).toString('hex'))).toEqual([Buffer.from(GC_THEN_ITEM[0]!).toString('hex')])
    // Stock clients keep syncing.
    const late = provider(s.url)
    await waitFor(() => late.p.synced)
    watcher.doc.getMap('objects').set('after', 'valid')
    await waitFor(() => late.doc.getMap('objects').get('after') === 'valid', 5000, 'a valid edit after the refusal')
  })
})
