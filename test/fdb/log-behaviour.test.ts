/**
 * The FoundationDB log through the double of the binding, beyond single
 * failures: values and appends over FoundationDB's limits, damaged values,
 * group commit, snapshots, and several processes sharing one log (watches
 * that fire, never fire, or resolve false).
 */
import { describe, expect, it } from 'vitest'
import { START, type Cursor } from '../../src/log/event-log.js'
import { makeUpdates } from '../../src/log/event-log-contract.js'
import { FdbEventLog } from '../../src/fdb/fdb-event-log.js'
import { FakeFdb } from './fake-fdb.js'
import { bigUpdate, hexes, inputs, readAll, setup, waitFor } from './helpers.js'

describe('FoundationDB log: size limits', () => {
  it('[L1] an update over the value limit is chunked under 90 KB values and read back exactly', async () => {
    const { db, log } = setup()
    const u = bigUpdate(250_000)
    const [c] = await log.append('r', inputs([u]))
    const [e] = await log.readRoom('r', START)
    expect(e!.cursor).toBe(c)
    expect(Buffer.from(e!.update).equals(Buffer.from(u))).toBe(true)
    expect(db.stats.maxValueBytes).toBeLessThanOrEqual(90_000)
    await log.close()
  })

  it('[L1] an append over the transaction budget is staged in small transactions and published by one', async () => {
    const { db, log } = setup()
    const heard: string[] = []
    log.subscribe((_room, cursor) => heard.push(cursor))
    const big = bigUpdate(3_000_000)
    const small = makeUpdates(2, 4)
    const commitsBefore = db.stats.commits
    const [c1, c2] = await Promise.all([log.append('r', inputs([big])), log.append('r', inputs(small, 4))])
    expect(db.stats.commits - commitsBefore).toBeGreaterThan(6)
    expect(db.stats.maxTxnBytes).toBeLessThan(1_000_000)
    const entries = await readAll(log, 'r')
    expect(entries.map((e) => e.cursor)).toEqual([...c1!, ...c2!])
    expect(Buffer.from(entries[0]!.update).equals(Buffer.from(big))).toBe(true)
    expect(hexes(entries.slice(1))).toEqual(small.map((u) => Buffer.from(u).toString('hex')))
    const feed = await log.readFeed(START, { limit: 1 })
    expect(Buffer.from(feed[0]!.update).equals(Buffer.from(big))).toBe(true)
    await waitFor(() => heard.includes(c2![1]!))
    await log.close()
  })

  it('[L2] entries of many parts read correctly across page boundaries', async () => {
    const { log } = setup({ maxValueBytes: 40 })
    const ups = makeUpdates(30, 3, 'a-longer-key-so-each-update-spans-several-parts')
    const cursors = await log.append('r', inputs(ups, 3))
    for (const limit of [1, 2, 7]) {
      const got = []
      for (let after: Cursor = START; ; ) {
        const page = await log.readRoom('r', after, { limit })
        if (page.length === 0) break
        expect(page.length).toBeLessThanOrEqual(limit)
        got.push(...page)
        after = page[page.length - 1]!.cursor
      }
      expect(got.map((e) => e.cursor)).toEqual(cursors)
      expect(hexes(got)).toEqual(ups.map((u) => Buffer.from(u).toString('hex')))
    }
    await log.close()
  })

  it('[L3] a damaged stored value is reported as corrupt, never returned', async () => {
    const { db, log } = setup()
    await log.append('r', inputs(makeUpdates(2)))
    const [key] = db.keysUnder(log.keys.roomLogRange('r', null).begin.subarray(0, -1))
    const value = Buffer.from(db.peek(key!)!)
    value[value.length - 1]! ^= 1
    db.poke(key!, value)
    await expect(log.readRoom('r', START)).rejects.toMatchObject({ code: 'fdb_corrupt' })
    await expect(log.readFeed(START)).rejects.toThrow(/checksum mismatch/)
    await log.close()
  })

  it('group commit: concurrent appends share transactions', async () => {
    const { db, log } = setup()
    const before = db.stats.commits
    const calls = Array.from({ length: 40 }, (_, i) => log.append(`room-${i % 4}`, inputs(makeUpdates(1, 100 + i), 100 + i)))
    const cursors = (await Promise.all(calls)).flat()
    expect(new Set(cursors).size).toBe(40)
    expect(db.stats.commits - before).toBeLessThanOrEqual(3)
    await log.close()
  })
})

describe('FoundationDB log: snapshots', () => {
  it('a snapshot over the transaction budget is staged and published behind its pointer; old ones are pruned whole', async () => {
    const { db, log } = setup({ keepSnapshots: 2 })
    const cursors = await log.append('r', inputs(makeUpdates(3)))
    const big = new Uint8Array(2_500_000).map((_, i) => i & 0xff)
    await log.putSnapshot({ room: 'r', cursor: cursors[0]!, state: new Uint8Array([1]) })
    await log.putSnapshot({ room: 'r', cursor: cursors[1]!, state: big })
    expect(db.stats.maxTxnBytes).toBeLessThan(1_000_000)
    const got = await log.getSnapshot('r')
    expect(got!.cursor).toBe(cursors[1])
    expect(Buffer.from(got!.state).equals(Buffer.from(big))).toBe(true)
    await log.putSnapshot({ room: 'r', cursor: cursors[2]!, state: new Uint8Array([3]) })
    expect(await log.getSnapshot('r', cursors[0]!)).toBeNull()
    const chunkPrefix = log.keys.snapshotChunkRange('r', Buffer.alloc(12)).begin.subarray(0, -16)
    // Two snapshots kept: [3] is one chunk, the 2.5 MB one is 28.
    expect(db.keysUnder(chunkPrefix)).toHaveLength(1 + 28)
    await expect(log.putSnapshot({ room: 'r', cursor: 'ffffffffffffffffffffffff', state: new Uint8Array([1]) })).rejects.toThrow(/past the log head/)
    await log.close()
  })
})

describe('FoundationDB log: several processes on one cluster', () => {
  async function twoProcesses(mode: FakeFdb['watchMode']) {
    const db = new FakeFdb()
    db.watchMode = mode
    const a = new FdbEventLog(db, { prefix: 'shared', pollMs: 40 })
    const b = new FdbEventLog(db, { prefix: 'shared', pollMs: 40 })
    return { db, a, b }
  }

  for (const mode of ['normal', 'never', 'false'] as const) {
    it(`subscribe hears the other process's appends (watch ${mode === 'normal' ? 'fires' : mode === 'never' ? 'never fires: the poll timer delivers' : 'resolves false: the poll timer delivers'})`, async () => {
      const { db, a, b } = await twoProcesses(mode)
      const heard: Array<[string, Cursor]> = []
      b.subscribe((room, cursor) => heard.push([room, cursor]))
      await new Promise((r) => setTimeout(r, 30))
      const c1 = await a.append('r1', inputs(makeUpdates(2)))
      const c2 = await a.append('r2', inputs(makeUpdates(1, 2), 2))
      await waitFor(() => heard.some(([r, c]) => r === 'r1' && c === c1[1]) && heard.some(([r, c]) => r === 'r2' && c === c2[0]))
      const started = Date.now()
      const rounds = db.stats.watches
      await new Promise((r) => setTimeout(r, 200))
      // A watch that resolves false at once must not turn the tail into a busy loop.
      expect(db.stats.watches - rounds).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 40) + 2)
      expect(hexes(await b.readRoom('r1', START))).toEqual(hexes(await a.readRoom('r1', START)))
      await a.close()
      await b.close()
    })
  }

  it('[L2] two processes appending to one room at once: one total order, seen the same by both', async () => {
    const db = new FakeFdb()
    db.setChaos({ seed: 7, commitRate: 0.2, readRate: 0 })
    const a = new FdbEventLog(db, { prefix: 'shared', pollMs: 40 })
    const b = new FdbEventLog(db, { prefix: 'shared', pollMs: 40 })
    const ua = makeUpdates(20, 1)
    const ub = makeUpdates(20, 2)
    const calls = ua.map((u, i) => [a.append('room', inputs([u], 1)), b.append('room', inputs([ub[i]!], 2))]).flat()
    const cursors = (await Promise.all(calls)).flat()
    const fromA = await readAll(a, 'room')
    const fromB = await readAll(b, 'room')
    expect(fromA).toEqual(fromB)
    expect(fromA.map((e) => e.cursor)).toEqual([...cursors].sort())
    expect(hexes(fromA.filter((e) => e.origin.client === 1))).toEqual(ua.map((u) => Buffer.from(u).toString('hex')))
    expect(hexes(fromA.filter((e) => e.origin.client === 2))).toEqual(ub.map((u) => Buffer.from(u).toString('hex')))
    await a.close()
    await b.close()
  })

  it('[L1] a listener that throws does not fail the append it hears of', async () => {
    const { log, warnings } = setup()
    log.subscribe(() => {
      throw new Error('listener bug')
    })
    const ups = makeUpdates(2)
    const cursors = await log.append('r', inputs(ups))
    expect((await log.readRoom('r', START)).map((e) => e.cursor)).toEqual(cursors)
    expect(warnings).toContain('event log listener threw')
    await log.close()
  })

  it('unsubscribing and at once subscribing again keeps hearing the other process', async () => {
    const { a, b } = await twoProcesses('never')
    b.subscribe(() => {})()
    const heard: Cursor[] = []
    b.subscribe((_room, cursor) => heard.push(cursor))
    await new Promise((r) => setTimeout(r, 30))
    const [c] = await a.append('r', inputs(makeUpdates(1)))
    await waitFor(() => heard.includes(c!))
    await a.close()
    await b.close()
  })

  it('unsubscribing the last listener stops the tail', async () => {
    const { db, a, b } = await twoProcesses('normal')
    const off = b.subscribe(() => {})
    await new Promise((r) => setTimeout(r, 20))
    off()
    await new Promise((r) => setTimeout(r, 20))
    const watches = db.stats.watches
    await a.append('r', inputs(makeUpdates(1)))
    await new Promise((r) => setTimeout(r, 120))
    expect(db.stats.watches).toBe(watches)
    await a.close()
    await b.close()
  })
})
