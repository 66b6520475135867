/**
 * Log entries per room, per person, per 100 ms, kept in memory and extended
 * as the log grows, so a chart of a long history costs a few thousand
 * additions instead of a scan of every entry.
 *
 * Counting a range of a million entries with one GROUP BY takes seconds on
 * a small machine, and better-sqlite3 is synchronous: the server would stand
 * still meanwhile. The index is built by reading `events` in chunks of
 * CHUNK rows, yielding to the event loop between chunks, once; then only the
 * entries after the last one counted are read. Small ranges are counted
 * exactly with SQL instead, to the millisecond (see Timeline.activity).
 */
import type { SqlDatabase, SqlStatement } from './sql.js'

export const SLOT_MS = 100
const CHUNK = 10_000

interface RoomCells {
  /** Slot numbers (time / SLOT_MS) in increasing order, and per slot: user → entries. */
  slots: number[]
  counts: Array<Map<string, number>>
}

export class ActivityIndex {
  private readonly rooms = new Map<number, RoomCells>()
  private seq = 0
  private building: Promise<void> | null = null
  private readonly read: SqlStatement
  private readonly head: SqlStatement

  constructor(db: SqlDatabase) {
    this.read = db.prepare('SELECT seq, room_id, time, user FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
    this.head = db.prepare('SELECT seq FROM projector_state WHERE id = 1')
  }

  /** Counts every entry projected so far (one build at a time; callers share it). */
  catchUp(): Promise<void> {
    if (!this.building) {
      this.building = this.extend().finally(() => (this.building = null))
    }
    return this.building
  }

  private async extend(): Promise<void> {
    const target = (this.head.get() as { seq: number }).seq
    while (this.seq < target) {
      const rows = this.read.all(this.seq, CHUNK) as Array<{ seq: number; room_id: number; time: number; user: string }>
      if (rows.length === 0) break
      for (const r of rows) this.add(r.room_id, Math.floor(r.time / SLOT_MS), r.user)
      this.seq = rows[rows.length - 1]!.seq
      if (rows.length === CHUNK) await new Promise((r) => setImmediate(r))
    }
  }

  private add(room: number, slot: number, user: string): void {
    let c = this.rooms.get(room)
    if (!c) this.rooms.set(room, (c = { slots: [], counts: [] }))
    // Times never decrease along the feed: a slot is the last one or a new one.
    const n = c.slots.length
    if (n === 0 || c.slots[n - 1]! < slot) {
      c.slots.push(slot)
      c.counts.push(new Map())
    }
    const m = c.counts[c.slots.length - 1]!
    m.set(user, (m.get(user) ?? 0) + 1)
  }

  /**
   * Adds each slot of [from, to] (ms) into buckets of `bucketMs` (a multiple
   * of SLOT_MS) counted from `from`: calls `cell(bucket, user, n)` per slot.
   */
  forEach(room: number, from: number, to: number, bucketMs: number, cell: (bucket: number, user: string, n: number) => void): void {
    const c = this.rooms.get(room)
    if (!c) return
    const a = Math.floor(from / SLOT_MS)
    const z = Math.floor(to / SLOT_MS)
    let lo = 0
    let hi = c.slots.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (c.slots[mid]! < a) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < c.slots.length && c.slots[i]! <= z; i++) {
      const b = Math.floor((c.slots[i]! * SLOT_MS - from) / bucketMs)
      for (const [user, n] of c.counts[i]!) cell(Math.max(0, b), user, n)
    }
  }
}
