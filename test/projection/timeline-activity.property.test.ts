/**
 * Activity counts (the web view's chart) equal a plain count of the log's
 * entries per room, person and bucket, both when counted exactly with SQL and
 * when read from the in-memory activity index (long ranges), including after
 * the log grew between two reads.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSchema } from '../../src/projection/schema.js'
import { openDatabase } from '../../src/projection/sql.js'
import { RoomTimeline } from '../../src/projection/room-timeline.js'
import { checkProperty } from '../helpers/prop.js'

interface Ev {
  room: number
  user: string
  gap: number
}

const evArb = fc.record({ room: fc.nat(1), user: fc.constantFrom('ana', 'ben', 'cy'), gap: fc.oneof(fc.constant(0), fc.nat(40), fc.nat(400)) })
const T0 = 1_700_000_000_050

function database(events: Ev[]) {
  const db = openDatabase(':memory:')
  createSchema(db)
  db.exec("INSERT INTO rooms (room_id, room) VALUES (0, 'r0'), (1, 'r1')")
  const ins = db.prepare("INSERT INTO events (seq, room_id, cursor, time, client, user, bytes) VALUES (?, ?, '', ?, 1, ?, 10)")
  const times: number[] = []
  let t = T0
  const append = (evs: Ev[], first: number) =>
    evs.forEach((e, i) => {
      t += e.gap
      times.push(t)
      ins.run(first + i, e.room, t, e.user)
    })
  append(events, 1)
  db.prepare('UPDATE projector_state SET seq = ? WHERE id = 1').run(events.length)
  return {
    db,
    times,
    grow(more: Ev[]) {
      const first = times.length + 1
      append(more, first)
      db.prepare('UPDATE projector_state SET seq = ? WHERE id = 1').run(times.length)
    },
  }
}

/** room, person, bucket → entries, by brute force over the generated events. */
function expected(events: Ev[], times: number[], room: number, from: number, to: number, bucketMs: number): Record<string, number> {
  const out: Record<string, number> = {}
  events.forEach((e, i) => {
    const t = times[i]!
    if (e.room !== room || t < from || t > to) return
    const k = `${Math.floor((t - from) / bucketMs)}|${e.user}`
    out[k] = (out[k] ?? 0) + 1
  })
  return out
}

function flatten(a: { users: string[]; cells: Array<[number, number, number]> }): Record<string, number> {
  return Object.fromEntries(a.cells.map(([b, u, n]) => [`${b}|${a.users[u]}`, n]))
}

describe('activity', () => {
  it('counts log entries per bucket and person exactly (SQL) and from the index, also after the log grew', async () => {
    await checkProperty(
      'activity',
      fc.asyncProperty(
        fc.array(evArb, { minLength: 1, maxLength: 300 }),
        fc.array(evArb, { maxLength: 100 }),
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        fc.integer({ min: 1, max: 60 }),
        fc.nat(1),
        async (first, more, [p, q], buckets, room) => {
          const { db, times, grow } = database(first)
          const exact = new RoomTimeline(db, undefined, Number.MAX_SAFE_INTEGER)
          const indexed = new RoomTimeline(db, undefined, 0)
          for (const round of [0, 1]) {
            if (round === 1) grow(more)
            const all = [...first, ...(round === 1 ? more : [])]
            const span = times[times.length - 1]! - T0
            const from = T0 + Math.floor(Math.min(p, q) * span) - 5
            const to = T0 + Math.ceil(Math.max(p, q) * span) + 5
            const e = await exact.activity(`r${room}`, from, to, buckets)
            expect(flatten(e)).toEqual(expected(all, times, room, e.from, e.to, e.bucketMs))
            const x = await indexed.activity(`r${room}`, from, to, buckets)
            expect(x.from).toBeLessThanOrEqual(from)
            expect(x.to).toBeGreaterThanOrEqual(to)
            if (x.cells.length > 0) expect(x.bucketMs % 100).toBe(0)
            expect(flatten(x)).toEqual(expected(all, times, room, x.from, x.to, x.bucketMs))
          }
          db.close()
        },
      ),
      { numRuns: 100 },
    )
  })

  it('regression (seed -1849662229): exact buckets are whole numbers, though SQLite gets the times as REAL', async () => {
    const { db } = database([{ room: 0, user: 'ana', gap: 0 }])
    const a = await new RoomTimeline(db).activity('r0', T0 - 5, T0 + 5, 1)
    expect(a.cells).toEqual([[0, 0, 1]])
    db.close()
  })
})
