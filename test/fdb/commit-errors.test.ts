/**
 * FoundationDB commit failures, injected through the double of the binding:
 * 1020, 1021 (committed, not committed, landing late), 1007, 1031 and 1036.
 * Each must leave every acknowledged entry in the log exactly once ([L1],
 * [L2]) and nothing of a refused append.
 */
import { describe, expect, it } from 'vitest'
import { START, type Cursor } from '../../src/log/event-log.js'
import { makeUpdates } from '../../src/log/event-log-contract.js'
import { FdbCommitError } from '../../src/fdb/appender.js'
import { FdbEventLog } from '../../src/fdb/fdb-event-log.js'
import { FakeFdb, FakeFdbError } from './fake-fdb.js'
import { appendTn, expectExactlyOnce, hexes, inputs, readAll, setup } from './helpers.js'

describe('FoundationDB log: commit errors', () => {
  it('[L1] 1020 not_committed: doTn reruns the append and it lands once', async () => {
    const { db, log } = setup()
    db.inject({ at: 'commit', code: 1020, match: appendTn }, 2)
    const ups = makeUpdates(3)
    const cursors = await log.append('r', inputs(ups))
    expect(db.stats.injected).toBe(2)
    await expectExactlyOnce(log, 'r', ups, cursors)
    await log.close()
  })

  it('[L1] 1021 commit_unknown_result that did commit: the rerun finds its append id and appends nothing more', async () => {
    const { db, log } = setup()
    db.inject({ at: 'commit', code: 1021, committed: true, match: appendTn })
    const ups = makeUpdates(4)
    const cursors = await log.append('r', inputs(ups))
    expect(db.stats.injected).toBe(1)
    await expectExactlyOnce(log, 'r', ups, cursors)
    await log.close()
  })

  it('[L1] 1021 commit_unknown_result that did not commit: the rerun appends once', async () => {
    const { db, log } = setup()
    db.inject({ at: 'commit', code: 1021, committed: false, match: appendTn })
    const ups = makeUpdates(4)
    const cursors = await log.append('r', inputs(ups))
    await expectExactlyOnce(log, 'r', ups, cursors)
    await log.close()
  })

  it('[L1] 1021 whose commit lands after the rerun has read the append id: the rerun conflicts, then finds it', async () => {
    const { db, log } = setup()
    db.inject({ at: 'commit', code: 1021, committed: 'late', match: appendTn })
    const ups = makeUpdates(2)
    const cursors = await log.append('r', inputs(ups))
    // The rerun read the id before the late commit landed; its serializable read is what made it conflict instead of appending twice.
    expect(db.stats.conflicts).toBe(1)
    await expectExactlyOnce(log, 'r', ups, cursors)
    await log.close()
  })

  it('[L1] 1007 transaction_too_old on reads: appends and paged reads are retried', async () => {
    const { db, log } = setup()
    db.inject({ at: 'read', code: 1007 }, 3)
    const ups = makeUpdates(6)
    const cursors = await log.append('r', inputs(ups))
    db.inject({ at: 'read', code: 1007 }, 3)
    await expectExactlyOnce(log, 'r', ups, cursors)
    db.inject({ at: 'commit', code: 1007, match: appendTn })
    const more = makeUpdates(1, 2)
    const c2 = await log.append('r', inputs(more, 2))
    await expectExactlyOnce(log, 'r', [...ups, ...more], [...cursors, ...c2])
    await log.close()
  })

  for (const committed of [false, true]) {
    it(`[L1] 1031 timed_out (${committed ? 'after' : 'before'} the commit): doTn gives up, the log runs it again, once`, async () => {
      const { db, log, warnings } = setup()
      db.inject({ at: 'commit', code: 1031, committed, match: appendTn })
      const ups = makeUpdates(3)
      const cursors = await log.append('r', inputs(ups))
      await expectExactlyOnce(log, 'r', ups, cursors)
      expect(warnings.some((w) => w.includes('1031'))).toBe(true)
      await log.close()
    })
  }

  it('[L1] a real doTn timeout: a transaction slower than the limit fails with 1031 and is run again', async () => {
    const { db, log, warnings } = setup({ transactionTimeoutMs: 30 })
    let slow = 1
    const doTn = db.doTn.bind(db)
    db.doTn = (body, opts) =>
      doTn(async (tn) => {
        if (slow-- > 0) await new Promise((r) => setTimeout(r, 50))
        return body(tn)
      }, opts)
    const ups = makeUpdates(2)
    const cursors = await log.append('r', inputs(ups))
    await expectExactlyOnce(log, 'r', ups, cursors)
    expect(warnings.some((w) => w.includes('error 1031'))).toBe(true)
    await log.close()
  })

  it('[L1] an append that keeps timing out is refused with a clear error, and nothing of it is in the log', async () => {
    const { db, log } = setup({ attempts: 2 })
    const first = makeUpdates(1)
    await log.append('r', inputs(first))
    const head = await log.head()
    db.inject({ at: 'commit', code: 1031, match: appendTn }, Infinity)
    const err = await log.append('r', inputs(makeUpdates(2, 5), 5)).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(FdbCommitError)
    expect(err).toMatchObject({ code: 'fdb_commit_failed', fdbCode: 1031, outcome: 'not_appended' })
    expect((err as Error).message).toMatch(/append of 2 update\(s\) failed: .*1031.*nothing was appended/)
    expect(await log.head()).toBe(head)
    expect(await readAll(log)).toHaveLength(1)
    db.clearFaults()
    const later = await log.append('r', inputs(makeUpdates(1, 6), 6))
    expect(later[0]! > head).toBe(true)
    await log.close()
  })

  it('[L1] an append refused after it did commit is found by the check and acknowledged after all', async () => {
    const { db, log, warnings } = setup({ attempts: 1, retryLimit: 0 })
    db.inject({ at: 'commit', code: 1021, committed: true, match: appendTn })
    const ups = makeUpdates(2)
    const cursors = await log.append('r', inputs(ups))
    await expectExactlyOnce(log, 'r', ups, cursors)
    expect(warnings.some((w) => w.includes('committed although'))).toBe(true)
    await log.close()
  })

  it('[L1] the check fences the append id: a commit still in flight after the refusal can never land', async () => {
    const { db, log } = setup({ attempts: 1, retryLimit: 0 })
    db.inject({ at: 'commit', code: 1021, committed: 'held', match: appendTn })
    const err = await log.append('r', inputs(makeUpdates(2))).then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'fdb_commit_failed', outcome: 'not_appended' })
    expect(db.releaseHeld()).toBe(0)
    expect(await readAll(log, 'r')).toEqual([])
    expect(await log.head()).toBe(START)
    await log.close()
  })

  it('[L1] when even the check fails, the error says the outcome is unknown', async () => {
    const { db, log } = setup({ attempts: 1, retryLimit: 0 })
    db.inject({ at: 'commit', code: 1021, committed: false, match: appendTn })
    db.inject({ at: 'read', code: 1007 }, 100)
    const err = await log.append('r', inputs(makeUpdates(1))).then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'fdb_commit_failed', outcome: 'unknown' })
    expect((err as Error).message).toMatch(/whether it was appended is unknown/)
    await log.close()
  })
})

describe('FoundationDB log: reads after versionstamped writes (1036)', () => {
  it('the double refuses a read of what the transaction wrote with a versionstamp, as FoundationDB does', async () => {
    const db = new FakeFdb()
    const log = new FdbEventLog(db, { prefix: 'x' })
    const err = await db
      .doTn(async (tn) => {
        tn.setVersionstampedValueRaw(log.keys.globalHead, Buffer.alloc(14))
        await tn.get(log.keys.globalHead)
      })
      .then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(FakeFdbError)
    expect((err as FakeFdbError).code).toBe(1036)
    const rangeErr = await db
      .doTn(async (tn) => {
        tn.setVersionstampedKeyRaw(log.keys.roomEntryVersionstamped('r', 0, 0), Buffer.from([1]))
        const r = log.keys.roomLogRange('r', null)
        await tn.snapshot().getRangeAll(r.begin, r.end)
      })
      .then(() => null, (e: unknown) => e)
    expect((rangeErr as FakeFdbError).code).toBe(1036)
    await log.close()
  })

  it('[L1] appends read only before their versionstamped writes: many concurrent appends under reruns never hit 1036', async () => {
    const { db, log } = setup()
    db.inject({ at: 'commit', code: 1021, committed: true, match: appendTn }, 3)
    const sent = new Map<string, Uint8Array[]>()
    const calls: Array<Promise<Cursor[]>> = []
    for (const room of ['a', 'b', 'c']) {
      const ups = makeUpdates(12, room.charCodeAt(0))
      sent.set(room, ups)
      for (let i = 0; i < ups.length; i += 2) calls.push(log.append(room, inputs(ups.slice(i, i + 2), room.charCodeAt(0))))
    }
    await Promise.all(calls)
    for (const [room, ups] of sent) expect(hexes(await readAll(log, room))).toEqual(ups.map((u) => Buffer.from(u).toString('hex')))
    await log.close()
  })

  it('[L1] an injected 1036 (not retryable) refuses the append cleanly', async () => {
    const { db, log } = setup()
    db.inject({ at: 'read', code: 1036 })
    const err = await log.append('r', inputs(makeUpdates(1))).then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'fdb_commit_failed', fdbCode: 1036, outcome: 'not_appended' })
    expect(await log.head()).toBe(START)
    await log.close()
  })
})

