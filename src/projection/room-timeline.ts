/**
 * The reads a timeline of a room needs (the web view's slider, chart and
 * change feed): which rooms exist, a room's first and last log entry, edits
 * per time bucket and person, the latest changes before a point in pages, and
 * one object's last change. Plain SQL over the tables in schema.ts, like
 * time-travel.ts, which it builds on.
 *
 * Times never decrease along the feed, so a time range is turned into a
 * position range by binary search (`TimeTravel.resolve`) and every scan below
 * is a primary-key range of `events` or `history`.
 */
import type { Xform } from '../crdt/index.js'
import { ActivityIndex, SLOT_MS } from './activity-index.js'
import { type ObjectRow, type XformRow, objectFromRow, xformFromRow } from './object-rows.js'
import { OBJECT_COLUMN_NAMES, XFORM_COLUMN_NAMES } from './schema.js'
import type { SqlDatabase, SqlStatement } from './sql.js'
import { type At, type Change, type SceneObject, TimeTravel } from './time-travel.js'
import type { Point } from './timeline.js'

export interface RoomSummary {
  room: string
  /** Objects alive now. */
  objects: number
  /** Position and time of the last change of a live object (null when none). */
  lastSeq: number | null
  lastTime: number | null
}


export interface RoomSpan {
  room: string
  first: Point | null
  last: Point | null
  /** The last position projected (all rooms). */
  head: number
}

export interface Activity {
  from: number
  to: number
  bucketMs: number
  users: string[]
  /** [bucket index, index into users, log entries] for every non-empty cell. */
  cells: Array<[number, number, number]>
}

export interface NamedChange extends Change {
  /** The object's name as of this change. */
  name: string | null
}

export interface ChangesPage {
  changes: NamedChange[]
  /** Pass as `to` for the next (older) page; null when this page reached the start. */
  next: number | null
}

export interface LastChange {
  seq: number
  time: number
  user: string
  client: number
  what: string[]
}

/** At most this many buckets in one activity answer: a chart is a few hundred pixels wide. */
export const MAX_BUCKETS = 2000
export const MAX_PAGE = 1000
/** Ranges of up to this many log entries are counted exactly with SQL; longer ones from the index. */
export const EXACT_ACTIVITY_ENTRIES = 20_000

export class RoomTimeline {
  readonly tt: TimeTravel
  private readonly s: Record<string, SqlStatement>
  private readonly index: ActivityIndex

  constructor(
    db: SqlDatabase,
    tt?: TimeTravel,
    /** Ranges with more entries than this are counted from the activity index. */
    private readonly exactActivityEntries = EXACT_ACTIVITY_ENTRIES,
  ) {
    this.tt = tt ?? new TimeTravel(db)
    this.index = new ActivityIndex(db)
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      rooms: p(`SELECT r.room, count(o.obj) AS objects, max(o.seq) AS last_seq
        FROM rooms r LEFT JOIN objects o ON o.room = r.room GROUP BY r.room ORDER BY r.room`),
      roomId: p('SELECT room_id FROM rooms WHERE room = ?'),
      timeOf: p('SELECT time FROM events WHERE seq = ?'),
      first: p('SELECT seq, time FROM events WHERE room_id = ? ORDER BY seq LIMIT 1'),
      last: p('SELECT seq, time FROM events WHERE room_id = ? ORDER BY seq DESC LIMIT 1'),
      // Parameters bind as REAL: CAST makes the bucket a whole number (the times in range are >= t0).
      activity: p(`SELECT CAST((time - @t0) / @bucket AS INTEGER) AS b, user, count(*) AS n FROM events
        WHERE seq BETWEEN @a AND @z AND room_id = @room GROUP BY b, user ORDER BY b, user`),
      pageSeqs: p('SELECT seq FROM events WHERE room_id = ? AND seq BETWEEN ? AND ? ORDER BY seq DESC LIMIT ?'),
      objKey: p('SELECT obj FROM object_keys WHERE room_id = ? AND object_id = ?'),
      nameAt: p('SELECT name FROM history WHERE obj = ? AND seq <= ? ORDER BY seq DESC LIMIT 1'),
      objectAt: p(`SELECT ? AS object_id, deleted, ${OBJECT_COLUMN_NAMES.join(', ')}, seq
        FROM history WHERE obj = ? AND seq <= ? ORDER BY seq DESC LIMIT 1`),
      bonesAt: p(`SELECT b.bone, ${XFORM_COLUMN_NAMES.map((c) => `bh.${c}`).join(', ')}, bh.deleted, bh.seq FROM bone_keys b
        JOIN bone_history bh ON bh.obj = b.obj AND bh.bone = b.bone
        AND bh.seq = (SELECT max(x.seq) FROM bone_history x WHERE x.obj = b.obj AND x.bone = b.bone AND x.seq <= @seq)
        WHERE b.obj = @obj ORDER BY b.bone`),
      event: p('SELECT seq, time, user, client FROM events WHERE seq = ?'),
    }
  }

  rooms(): RoomSummary[] {
    const rows = this.s.rooms!.all() as Array<{ room: string; objects: number; last_seq: number | null }>
    return rows.map((r) => ({
      room: r.room,
      objects: r.objects,
      lastSeq: r.last_seq,
      lastTime: r.last_seq === null ? null : ((this.s.timeOf!.get(r.last_seq) as { time: number } | undefined)?.time ?? null),
    }))
  }

  span(room: string): RoomSpan {
    const id = this.roomId(room)
    const head = this.tt.head()
    if (id === undefined) return { room, first: null, last: null, head }
    return { room, first: (this.s.first!.get(id) as Point | undefined) ?? null, last: (this.s.last!.get(id) as Point | undefined) ?? null, head }
  }

  /**
   * Log entries of a room per time bucket and person over [from, to] (ms,
   * inclusive). `buckets` is how many buckets the caller wants. A range of
   * up to EXACT_ACTIVITY_ENTRIES entries is counted exactly in buckets of
   * whole milliseconds; a longer one from the activity index, in buckets of
   * whole SLOT_MS over whole slots: `from` moved back to a slot's start and
   * `to` on to a slot's end (the answer says which range and `bucketMs` it used).
   */
  async activity(room: string, from: number, to: number, buckets: number): Promise<Activity> {
    if (!(to >= from)) throw new RangeError(`activity: to (${to}) is before from (${from})`)
    const n = Math.max(1, Math.min(MAX_BUCKETS, Math.floor(buckets)))
    let bucketMs = Math.max(1, Math.ceil((to - from + 1) / n))
    const id = this.roomId(room)
    const a = this.tt.resolve({ time: from - 1 }) + 1
    const z = this.tt.resolve({ time: to })
    if (id === undefined || z < a) return { from, to, bucketMs, users: [], cells: [] }
    const users: string[] = []
    const userIndex = new Map<string, number>()
    const cells = new Map<number, Map<number, number>>()
    const add = (b: number, user: string, count: number) => {
      let u = userIndex.get(user)
      if (u === undefined) {
        userIndex.set(user, (u = users.length))
        users.push(user)
      }
      let row = cells.get(b)
      if (!row) cells.set(b, (row = new Map()))
      row.set(u, (row.get(u) ?? 0) + count)
    }
    if (z - a + 1 <= this.exactActivityEntries) {
      for (const r of this.s.activity!.iterate({ t0: from, bucket: bucketMs, a, z, room: id }) as Iterable<{ b: number; user: string; n: number }>) add(r.b, r.user, r.n)
    } else {
      await this.index.catchUp()
      bucketMs = Math.ceil(bucketMs / SLOT_MS) * SLOT_MS
      from = Math.floor(from / SLOT_MS) * SLOT_MS
      to = Math.floor(to / SLOT_MS) * SLOT_MS + SLOT_MS - 1
      this.index.forEach(id, from, to, bucketMs, add)
    }
    const out: Activity = { from, to, bucketMs, users, cells: [] }
    for (const b of [...cells.keys()].sort((x, y) => x - y)) for (const [u, count] of cells.get(b)!) out.cells.push([b, u, count])
    return out
  }

  /**
   * Who changed what in the latest `limit` log entries of the room in
   * [from, to], oldest first; `next` continues with older entries.
   */
  changesPage(room: string, opts: { from?: At; to?: At; limit: number }): ChangesPage {
    const id = this.roomId(room)
    if (id === undefined) return { changes: [], next: null }
    const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(opts.limit)))
    const lo = opts.from === undefined ? 1 : 'seq' in opts.from ? opts.from.seq : this.tt.resolve({ time: opts.from.time - 1 }) + 1
    const hi = this.tt.resolve(opts.to)
    const seqs = (this.s.pageSeqs!.all(id, lo, hi, limit + 1) as Array<{ seq: number }>).map((r) => r.seq)
    if (seqs.length === 0) return { changes: [], next: null }
    const more = seqs.length > limit
    const oldest = seqs[Math.min(seqs.length, limit) - 1]!
    const keys = new Map<string, number | undefined>()
    const changes = this.tt.changes(room, { seq: oldest }, { seq: hi }).map((c) => {
      if (!keys.has(c.objectId)) keys.set(c.objectId, (this.s.objKey!.get(id, c.objectId) as { obj: number } | undefined)?.obj)
      const obj = keys.get(c.objectId)
      const name = obj === undefined ? null : ((this.s.nameAt!.get(obj, c.seq) as { name: string | null } | undefined)?.name ?? null)
      return { ...c, name }
    })
    return { changes, next: more ? seqs[limit]! : null }
  }

  /** One object as it was at `at` and the last change to it at or before then (null if none). */
  objectAt(room: string, objectId: string, at?: At): { object: SceneObject | null; lastChange: LastChange | null } {
    const id = this.roomId(room)
    const obj = id === undefined ? undefined : (this.s.objKey!.get(id, objectId) as { obj: number } | undefined)?.obj
    if (obj === undefined) return { object: null, lastChange: null }
    const seq = this.tt.resolve(at)
    const row = this.s.objectAt!.get(objectId, obj, seq) as (ObjectRow & { deleted: number; seq: number }) | undefined
    const bones = this.s.bonesAt!.all({ obj, seq }) as Array<XformRow & { bone: string; deleted: number; seq: number }>
    let object: SceneObject | null = null
    if (row && row.deleted === 0) {
      const pose: Record<string, Xform> = {}
      for (const b of bones) {
        const x = b.deleted === 0 ? xformFromRow(b) : null
        if (x) pose[b.bone] = x
      }
      const o = objectFromRow(row)
      const dataSeq = o.data === null ? null : (this.tt.dataAt(room, o.data, { seq })?.seq ?? null)
      object = { ...o, pose, seq: row.seq, dataSeq }
    }
    const last = Math.max(row?.seq ?? 0, ...bones.map((b) => b.seq))
    if (last === 0) return { object, lastChange: null }
    const e = this.s.event!.get(last) as { seq: number; time: number; user: string; client: number }
    const what = this.tt
      .changes(room, { seq: last }, { seq: last })
      .filter((c) => c.objectId === objectId)
      .flatMap((c) => c.what)
    return { object, lastChange: { ...e, what } }
  }

  private roomId(room: string): number | undefined {
    return (this.s.roomId!.get(room) as { room_id: number } | undefined)?.room_id
  }
}
