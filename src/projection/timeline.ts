/**
 * The room's log as a timeline people read (the Blender history panel and any
 * HTTP client): pages of log entries, each with who changed what, by object
 * name; and a summary of the whole room in one pass (its span, time buckets
 * with how many entries each holds, and where each client first appeared) for
 * drawing a slider with markers without fetching every entry.
 */
import type { SqlDatabase, SqlStatement } from './sql.js'

export interface TimelineChange {
  id: string
  /** The object's name after the entry (its last name when the entry deleted it). */
  name: string | null
  /** 'created', 'deleted', changed fields (location, rotation, scale, rotation_mode, name, parent, visible, type), `pose.<bone>`. */
  what: string[]
}

export interface TimelineEntry {
  seq: number
  time: number
  user: string
  client: number
  bytes: number
  changes: TimelineChange[]
}

export interface Point {
  seq: number
  time: number
}

export interface TimelinePage {
  room: string
  /** The room's first and last entries (null for a room without any). */
  first: Point | null
  last: Point | null
  entries: TimelineEntry[]
  /** Pass as `after` for the next page; null when this page reaches the end. */
  next: number | null
  /** Pass as `before` for the previous page; null when this page starts at the room's first entry. */
  prev: number | null
}

export interface TimelineBucket {
  /** Time span [start, end) in ms; the last bucket includes its end. */
  start: number
  end: number
  entries: number
  /** First and last positions in the bucket (null when empty). */
  from: number | null
  to: number | null
  users: string[]
}

export interface TimelineSummary {
  room: string
  first: Point | null
  last: Point | null
  entries: number
  buckets: TimelineBucket[]
  /** The first entry of each Yjs client in the room: where someone joined (or a Blender session started). */
  joins: Array<Point & { user: string; client: number }>
}

const DELETED = 1
const CREATED = 2
/** Bits of the changed-fields mask, in the order `what` lists them. */
const FIELDS: Array<[string, string[]]> = [
  ['name', ['name']],
  ['type', ['type']],
  ['parent', ['parent']],
  ['visible', ['visible']],
  ['rotation_mode', ['rot_mode']],
  ['location', ['loc_x', 'loc_y', 'loc_z']],
  ['rotation', ['rot_w', 'rot_x', 'rot_y', 'rot_z']],
  ['scale', ['scale_x', 'scale_y', 'scale_z']],
]
const FIELD_MASK = FIELDS.map(([, cols], i) => `(${cols.map((c) => `h.${c} IS NOT p.${c}`).join(' OR ')}) * ${4 << i}`).join(' | ')

function whatOf(mask: number): string[] {
  if (mask === DELETED) return ['deleted']
  if (mask === CREATED) return ['created']
  return FIELDS.filter((_, i) => mask & (4 << i)).map(([f]) => f)
}

/** Rows as arrays: cheaper than better-sqlite3's objects (see sample-pages.ts). */
function raw(stmt: SqlStatement): SqlStatement {
  const r = (stmt as SqlStatement & { raw?: (on: boolean) => SqlStatement }).raw
  if (!r) throw new Error('the timeline needs a statement with raw rows (better-sqlite3)')
  return r.call(stmt, true)
}

export class Timeline {
  private readonly s: Record<string, SqlStatement>

  constructor(db: SqlDatabase) {
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      first: p('SELECT seq, time FROM events WHERE room_id = ? ORDER BY seq LIMIT 1'),
      last: p('SELECT seq, time FROM events WHERE room_id = ? ORDER BY seq DESC LIMIT 1'),
      after: p('SELECT seq, time, user, client, bytes FROM events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      before: p('SELECT seq, time, user, client, bytes FROM events WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?'),
      // What each change changed, worked out in SQL against the object's previous row: one
      // row per change with a bit mask, instead of every column of both rows through JS.
      history: raw(p(`SELECT k.object_id, h.seq, h.name, CASE WHEN h.deleted THEN ${DELETED} WHEN p.seq IS NULL OR p.deleted THEN ${CREATED} ELSE ${FIELD_MASK} END
        FROM object_keys k JOIN history h ON h.obj = k.obj AND h.seq BETWEEN ? AND ?
        LEFT JOIN history p ON p.obj = h.obj AND p.seq = (SELECT max(x.seq) FROM history x WHERE x.obj = h.obj AND x.seq < h.seq)
        WHERE k.room_id = ?`)),
      bones: raw(p(`SELECT k.object_id, bh.seq, bh.bone, (SELECT x.name FROM history x WHERE x.obj = bh.obj AND x.seq <= bh.seq ORDER BY x.seq DESC LIMIT 1)
        FROM object_keys k JOIN bone_keys bk ON bk.obj = k.obj
        JOIN bone_history bh ON bh.obj = bk.obj AND bh.bone = bk.bone AND bh.seq BETWEEN ? AND ? WHERE k.room_id = ?`)),
      scan: raw(p('SELECT seq, time, user, client FROM events WHERE room_id = ? ORDER BY seq')),
    }
  }

  /** At most `limit` entries after `after` (exclusive), or before `before` (exclusive) when given. */
  page(roomId: number, room: string, opts: { after?: number; before?: number; limit: number }): TimelinePage {
    const first = (this.s.first!.get(roomId) as Point | undefined) ?? null
    const last = (this.s.last!.get(roomId) as Point | undefined) ?? null
    type Ev = Omit<TimelineEntry, 'changes'>
    let events: Ev[]
    if (opts.before !== undefined) events = (this.s.before!.all(roomId, opts.before, opts.limit) as Ev[]).reverse()
    else events = this.s.after!.all(roomId, opts.after ?? 0, opts.limit) as Ev[]
    const entries: TimelineEntry[] = events.map((e) => ({ ...e, changes: [] }))
    if (entries.length > 0) this.fill(roomId, entries)
    const end = entries[entries.length - 1]?.seq
    const start = entries[0]?.seq
    return {
      room,
      first,
      last,
      entries,
      next: end !== undefined && last !== null && end < last.seq ? end : null,
      prev: start !== undefined && first !== null && start > first.seq ? start : null,
    }
  }

  private fill(roomId: number, entries: TimelineEntry[]): void {
    const s1 = entries[0]!.seq
    const s2 = entries[entries.length - 1]!.seq
    const bySeq = new Map(entries.map((e) => [e.seq, e]))
    for (const [id, seq, name, mask] of this.s.history!.all(s1, s2, roomId) as Array<[string, number, string | null, number]>) {
      const entry = bySeq.get(seq)
      if (entry) changeOf(entry, id, name).what.push(...whatOf(mask))
    }
    for (const [id, seq, bone, name] of this.s.bones!.all(s1, s2, roomId) as Array<[string, number, string, string | null]>) {
      const entry = bySeq.get(seq)
      if (entry) changeOf(entry, id, name).what.push(`pose.${bone}`)
    }
  }

  summary(roomId: number, room: string, bucketCount: number): TimelineSummary {
    const first = (this.s.first!.get(roomId) as Point | undefined) ?? null
    const last = (this.s.last!.get(roomId) as Point | undefined) ?? null
    const out: TimelineSummary = { room, first, last, entries: 0, buckets: [], joins: [] }
    if (!first || !last) return out
    const n = Math.max(1, bucketCount)
    const span = Math.max(1, last.time - first.time)
    const width = span / n
    const buckets: Array<TimelineBucket & { userSet: Set<string> }> = Array.from({ length: n }, (_, i) => ({
      start: Math.round(first.time + i * width),
      end: Math.round(first.time + (i + 1) * width),
      entries: 0,
      from: null,
      to: null,
      users: [],
      userSet: new Set(),
    }))
    const seen = new Set<number>()
    for (const [seq, time, user, client] of this.s.scan!.iterate(roomId) as IterableIterator<[number, number, string, number]>) {
      out.entries++
      const b = buckets[Math.min(n - 1, Math.floor((time - first.time) / width))]!
      b.entries++
      b.from ??= seq
      b.to = seq
      b.userSet.add(user)
      if (!seen.has(client)) {
        seen.add(client)
        out.joins.push({ seq, time, user, client })
      }
    }
    out.buckets = buckets.map(({ userSet, ...b }) => ({ ...b, users: [...userSet].sort() }))
    return out
  }
}

function changeOf(entry: TimelineEntry, id: string, name: string | null): TimelineChange {
  let c = entry.changes.find((x) => x.id === id)
  if (!c) entry.changes.push((c = { id, name, what: [] }))
  else if (name !== null) c.name = name
  return c
}
