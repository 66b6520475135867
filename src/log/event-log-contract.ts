/**
 * The `EventLog` contract: one suite every implementation must pass
 * (DESIGN "Event log", rules [L1]–[L4]). Shipped in src, like automerge-repo's
 * adapter suites, so a new backend's whole test is one call:
 *
 *   runEventLogContract('sqlite', async () => { ... return { log, reopen, cleanup } })
 *
 * Only imported by tests: it needs vitest and yjs (to make real updates).
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { type AppendInput, type Cursor, type EventLog, type LogEntry, START } from './event-log.js'
import { InvalidUpdateError } from './errors.js'

export interface EventLogFixture {
  log: EventLog
  /** Closes `log` and opens the same store again (checks what survived). */
  reopen: () => Promise<EventLog>
  /** Closes whatever is open and removes the store. */
  cleanup: () => Promise<void>
}

export type EventLogFactory = () => Promise<EventLogFixture>

/** Real Yjs updates: each sets one key of a map in a doc with a fixed client id. */
export function makeUpdates(n: number, client = 1, key = 'k'): Uint8Array[] {
  const doc = new Y.Doc()
  doc.clientID = client
  const out: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => out.push(u))
  const map = doc.getMap('m')
  for (let i = 0; i < n; i++) map.set(key, i)
  return out
}

function inputs(updates: Uint8Array[], client = 1, user = 'ann'): AppendInput[] {
  return updates.map((update) => ({ update, origin: { client, user } }))
}

async function readAll(read: (after: Cursor) => Promise<LogEntry[]>): Promise<LogEntry[]> {
  const all: LogEntry[] = []
  let after = START
  for (;;) {
    const page = await read(after)
    if (page.length === 0) return all
    all.push(...page)
    after = page[page.length - 1]!.cursor
  }
}

function increasing(cursors: Cursor[]): boolean {
  return cursors.every((c, i) => i === 0 || cursors[i - 1]! < c)
}

export function runEventLogContract(name: string, factory: EventLogFactory): void {
  describe(`EventLog contract: ${name}`, () => {
    async function withLog(fn: (f: EventLogFixture) => Promise<void>): Promise<void> {
      const f = await factory()
      try {
        await fn(f)
      } finally {
        await f.cleanup()
      }
    }

    it('[L1] append resolves with one cursor per update, and the entries survive a reopen', () =>
      withLog(async (f) => {
        const ups = makeUpdates(5)
        const cursors = await f.log.append('room-a', inputs(ups))
        expect(cursors).toHaveLength(5)
        expect(increasing(cursors)).toBe(true)
        const log = await f.reopen()
        const entries = await log.readRoom('room-a', START)
        expect(entries.map((e) => e.cursor)).toEqual(cursors)
        expect(entries.map((e) => Buffer.from(e.update).toString('hex'))).toEqual(ups.map((u) => Buffer.from(u).toString('hex')))
        expect(await log.head()).toBe(cursors[4])
      }))

    it('[L1] entries carry room, time, origin and the exact bytes', () =>
      withLog(async (f) => {
        const before = Date.now()
        const [u] = makeUpdates(1, 7)
        const [c] = await f.log.append('r', [{ update: u!, origin: { client: 7, user: 'Zoë 🎨' } }])
        const [e] = await f.log.readFeed(START)
        expect(e).toMatchObject({ room: 'r', cursor: c, origin: { client: 7, user: 'Zoë 🎨' } })
        expect(Array.from(e!.update)).toEqual(Array.from(u!))
        expect(e!.time).toBeGreaterThanOrEqual(before - 1000)
        expect(e!.time).toBeLessThanOrEqual(Date.now() + 1000)
      }))

    it('[L2] concurrent appends to several rooms are totally ordered in the feed and per room', () =>
      withLog(async (f) => {
        const rooms = ['a', 'b', 'c']
        const sent = new Map<string, Uint8Array[]>()
        const calls: Array<Promise<Cursor[]>> = []
        rooms.forEach((room, r) => {
          const ups = makeUpdates(30, 10 + r)
          sent.set(room, ups)
          // Interleave small appends so they arrive together (group commit).
          for (let i = 0; i < ups.length; i += 3) calls.push(f.log.append(room, inputs(ups.slice(i, i + 3), 10 + r)))
        })
        const results = await Promise.all(calls)
        const all = results.flat()
        expect(new Set(all).size).toBe(90)
        const feed = await readAll((after) => f.log.readFeed(after, { limit: 7 }))
        expect(feed).toHaveLength(90)
        expect(increasing(feed.map((e) => e.cursor))).toBe(true)
        expect(feed.every((e, i) => i === 0 || feed[i - 1]!.time <= e.time)).toBe(true)
        for (const room of rooms) {
          const entries = await readAll((after) => f.log.readRoom(room, after, { limit: 4 }))
          expect(entries.map((e) => Buffer.from(e.update).toString('hex'))).toEqual(sent.get(room)!.map((u) => Buffer.from(u).toString('hex')))
          expect(entries.map((e) => e.cursor)).toEqual(feed.filter((e) => e.room === room).map((e) => e.cursor))
          expect(await f.log.head(room)).toBe(entries[entries.length - 1]!.cursor)
        }
        // Each append's cursors are its own entries, in order.
        for (const cursors of results) expect(increasing(cursors)).toBe(true)
      }))

    it('[L2] a reader that has seen cursor c sees exactly the entries after c, with no holes', () =>
      withLog(async (f) => {
        const cursors = await f.log.append('r', inputs(makeUpdates(20)))
        for (const k of [0, 1, 7, 19]) {
          const after = await readAll((a) => f.log.readFeed(a === START ? cursors[k]! : a, { limit: 3 }))
          expect(after.map((e) => e.cursor)).toEqual(cursors.slice(k + 1))
        }
        expect(await f.log.readRoom('r', cursors[19]!)).toEqual([])
        expect(await f.log.readRoom('no-such-room', START)).toEqual([])
        expect(await f.log.head('no-such-room')).toBe(START)
      }))

    it('[L2] paging one entry at a time walks every entry, whether appended together or one by one', () =>
      withLog(async (f) => {
        const together = await f.log.append('r', inputs(makeUpdates(4)))
        const alone: Cursor[] = []
        for (const u of makeUpdates(4, 2)) alone.push(...(await f.log.append('r', inputs([u], 2))))
        const all = [...together, ...alone]
        expect((await readAll((after) => f.log.readFeed(after, { limit: 1 }))).map((e) => e.cursor)).toEqual(all)
        expect((await readAll((after) => f.log.readRoom('r', after, { limit: 1 }))).map((e) => e.cursor)).toEqual(all)
      }))

    it('[L3] reading a range twice returns the same bytes, also after more appends', () =>
      withLog(async (f) => {
        await f.log.append('r', inputs(makeUpdates(10)))
        const first = await f.log.readFeed(START)
        await f.log.append('r', inputs(makeUpdates(10, 2), 2))
        const second = (await f.log.readFeed(START)).slice(0, 10)
        expect(second).toEqual(first)
        const log = await f.reopen()
        expect((await log.readFeed(START)).slice(0, 10)).toEqual(first)
      }))

    it('[L4] bytes that are not a Yjs update are refused with a clear error and the log is unchanged', () =>
      withLog(async (f) => {
        const good = makeUpdates(3)
        await f.log.append('r', inputs(good.slice(0, 1)))
        const headBefore = await f.log.head()
        const truncated = good[1]!.slice(0, good[1]!.length - 2)
        const trailing = new Uint8Array([...good[1]!, 0])
        const bad = [new Uint8Array([0xff, 0xff, 0xff]), truncated, trailing, new TextEncoder().encode('hello world')]
        for (const b of bad) {
          const err = await f.log.append('r', inputs([good[1]!, b])).then(
            () => null,
            (e: unknown) => e,
          )
          expect(err).toBeInstanceOf(InvalidUpdateError)
          expect((err as InvalidUpdateError).index).toBe(1)
          expect((err as Error).message).toMatch(/update 1 of the batch is not a valid Yjs update: .+/)
        }
        expect(await f.log.head()).toBe(headBefore)
        expect(await f.log.readFeed(START)).toHaveLength(1)
      }))

    it('[L4] an empty batch appends nothing; a bad room name is refused', () =>
      withLog(async (f) => {
        expect(await f.log.append('r', [])).toEqual([])
        await expect(f.log.append('', inputs(makeUpdates(1)))).rejects.toThrow(/room/)
        expect(await f.log.head()).toBe(START)
      }))

    it('subscribers hear of new entries with their room and cursor', () =>
      withLog(async (f) => {
        const heard: Array<[string, Cursor]> = []
        const off = f.log.subscribe((room, cursor) => heard.push([room, cursor]))
        const c1 = await f.log.append('a', inputs(makeUpdates(2)))
        await waitFor(() => heard.some(([r, c]) => r === 'a' && c >= c1[1]!))
        off()
        const n = heard.length
        await f.log.append('a', inputs(makeUpdates(1, 3), 3))
        await new Promise((r) => setTimeout(r, 50))
        expect(heard.length).toBe(n)
      }))

    it('snapshots: the latest at or before a cursor is returned, and an older one is not replaced', () =>
      withLog(async (f) => {
        const cursors = await f.log.append('r', inputs(makeUpdates(6)))
        expect(await f.log.getSnapshot('r')).toBeNull()
        await f.log.putSnapshot({ room: 'r', cursor: cursors[2]!, state: new Uint8Array([1, 2, 3]) })
        await f.log.putSnapshot({ room: 'r', cursor: cursors[5]!, state: new Uint8Array([4, 5]) })
        expect(await f.log.getSnapshot('r')).toEqual({ room: 'r', cursor: cursors[5], state: new Uint8Array([4, 5]) })
        expect(await f.log.getSnapshot('r', cursors[4]!)).toEqual({ room: 'r', cursor: cursors[2], state: new Uint8Array([1, 2, 3]) })
        expect(await f.log.getSnapshot('r', cursors[1]!)).toBeNull()
        await f.log.putSnapshot({ room: 'r', cursor: cursors[5]!, state: new Uint8Array([9]) })
        const log = await f.reopen()
        expect((await log.getSnapshot('r'))!.state).toEqual(new Uint8Array([4, 5]))
        expect(await log.getSnapshot('other')).toBeNull()
      }))

    it('appends after close are refused', () =>
      withLog(async (f) => {
        const log = await f.reopen()
        await log.close()
        await expect(log.append('r', inputs(makeUpdates(1)))).rejects.toThrow(/closed/)
      }))
  })
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
