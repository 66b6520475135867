/**
 * Appends under seeded random faults (1020; 1021 committed, not committed,
 * landing late; 1007; 1031 committed or not), with retry limits low enough
 * that some appends are refused. Whatever happens, the log holds every
 * acknowledged append exactly once at the cursors it was given, nothing of an
 * append refused as `not_appended`, and no update twice.
 */
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { START, type Cursor, type EventLog, type LogEntry } from '../../src/log/event-log.js'
import { makeUpdates } from '../../src/log/event-log-contract.js'
import { FdbCommitError } from '../../src/fdb/appender.js'
import { FdbEventLog } from '../../src/fdb/fdb-event-log.js'
import { checkProperty } from '../helpers/prop.js'
import { FakeFdb } from './fake-fdb.js'

async function feed(log: EventLog): Promise<LogEntry[]> {
  const out: LogEntry[] = []
  for (let after: Cursor = START; ; ) {
    const page = await log.readFeed(after, { limit: 50 })
    if (page.length === 0) return out
    out.push(...page)
    after = page[page.length - 1]!.cursor
  }
}

const hex = (u: Uint8Array) => Buffer.from(u).toString('hex')

it('[L1][L2] under random FoundationDB faults: acknowledged appends exactly once and in call order, refused ones absent, no duplicates', () =>
  checkProperty(
    'fdb appends under random faults',
    fc.asyncProperty(
      fc.integer(),
      // Percent, not fc.double: doubles crowd near 0, which would test almost no faults.
      fc.integer({ min: 10, max: 70 }).map((p) => p / 100),
      fc.array(fc.record({ room: fc.constantFrom('a', 'b', 'c'), n: fc.integer({ min: 1, max: 3 }), wait: fc.boolean() }), { minLength: 1, maxLength: 20 }),
      async (chaosSeed, rate, ops) => {
        const db = new FakeFdb()
        db.setChaos({ seed: chaosSeed, commitRate: rate, readRate: rate / 5 })
        const log = new FdbEventLog(db, { prefix: 'p', attempts: 1, retryLimit: 1 })
        const calls: Array<{ room: string; ups: Uint8Array[]; result: Promise<{ cursors: Cursor[] } | { error: unknown }> }> = []
        let client = 1
        for (const op of ops) {
          const ups = makeUpdates(op.n, client++)
          const result = log.append(op.room, ups.map((update) => ({ update, origin: { client, user: 'u' } }))).then(
            (cursors) => ({ cursors }),
            (error: unknown) => ({ error }),
          )
          calls.push({ room: op.room, ups, result })
          if (op.wait) await result
        }
        const results = await Promise.all(calls.map((c) => c.result))
        db.clearFaults()
        const entries = await feed(log)
        const at = new Map(entries.map((e) => [e.cursor, e]))
        const counts = new Map<string, number>()
        for (const e of entries) counts.set(hex(e.update), (counts.get(hex(e.update)) ?? 0) + 1)
        expect([...counts.values()].every((n) => n === 1)).toBe(true)
        const lastByRoom = new Map<string, Cursor>()
        calls.forEach((call, i) => {
          const r = results[i]!
          if ('cursors' in r) {
            expect(r.cursors.map((c) => hex(at.get(c)!.update))).toEqual(call.ups.map(hex))
            expect(r.cursors.every((c) => at.get(c)!.room === call.room)).toBe(true)
            // One transaction in flight at a time: a room's acknowledged appends are in call order.
            expect(r.cursors[0]! > (lastByRoom.get(call.room) ?? START)).toBe(true)
            lastByRoom.set(call.room, r.cursors[r.cursors.length - 1]!)
          } else {
            expect(r.error).toBeInstanceOf(FdbCommitError)
            if ((r.error as FdbCommitError).outcome === 'not_appended') for (const u of call.ups) expect(counts.has(hex(u))).toBe(false)
          }
        })
        await log.close()
      },
    ),
    { numRuns: 60 },
  ))
