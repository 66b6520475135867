/**
 * Time-travel reads of the projection (DESIGN "Projection"): the scene at a
 * position or a wall-clock time (`[P3]`), one object's path over a range, the
 * difference between two points, and who changed what, when. Each is plain
 * SQL over the tables in schema.ts; the README shows the same queries.
 */
import type { Xform } from '../crdt/index.js'
import { OBJECT_COLUMN_NAMES, XFORM_COLUMN_NAMES } from './schema.js'
import { type ObjectRow, type XformRow, objectFromRow, xformFromRow } from './object-rows.js'
import type { SqlDatabase, SqlStatement } from './sql.js'
import { ObjectLookup, type ResolvedObject } from './object-lookup.js'
import { type BonePathPoint, type ObjectPathPoint, ObjectPaths } from './object-paths.js'
import { type SampleRow, SamplePages } from './sample-pages.js'
import { type Point, Timeline, type TimelinePage, type TimelineSummary } from './timeline.js'

export { LookupError, type ResolvedObject } from './object-lookup.js'
export type { BonePathPoint, ObjectPathPoint } from './object-paths.js'
export type { SampleRow } from './sample-pages.js'
export type { Point, TimelineChange, TimelineEntry, TimelinePage, TimelineSummary } from './timeline.js'
import { type CollectionAt, type ContentRows, type DataBlockAt, DataTravel, collectionOf, dataBlockOf } from './data-travel.js'

/** A point of history: a log position (1-based, inclusive) or a wall-clock time in ms. */
export type At = { seq: number } | { time: number }

export interface SceneRows extends ContentRows {
  objects: Array<ObjectRow & { seq: number }>
  bones: Array<XformRow & { object_id: string; bone: string; seq: number }>
}

/** Data blocks, collections and the active camera at a point (`[D4]`). */
export interface SceneContent {
  data: DataBlockAt[]
  collections: CollectionAt[]
  camera: string | null
}

export interface SceneObject {
  id: string
  name: string | null
  type: string | null
  parent: string | null
  visible: boolean
  xform: Xform | null
  pose: Record<string, Xform>
  /** Position of the last change of the object's own fields. */
  seq: number
  /** Its data block, and the position of that data block's version at this point (null without data). */
  data: string | null
  dataSeq: number | null
  materials: (string | null)[]
  collections: string[]
}

export interface PathPoint {
  seq: number
  time: number
  user: string
  client: number
  deleted: boolean
  name: string | null
  xform: Xform | null
}

export interface FieldChange {
  field: string
  before: unknown
  after: unknown
}

export interface SceneDiff {
  from: number
  to: number
  added: SceneObject[]
  removed: SceneObject[]
  changed: Array<{ id: string; changes: FieldChange[] }>
}

export interface Change {
  seq: number
  time: number
  user: string
  client: number
  objectId: string
  /** 'created', 'deleted', the changed fields, or `pose.<bone>`. */
  what: string[]
}

const X = XFORM_COLUMN_NAMES.join(', ')
const HX = XFORM_COLUMN_NAMES.map((c) => `h.${c}`).join(', ')
const BX = XFORM_COLUMN_NAMES.map((c) => `bh.${c}`).join(', ')

export class TimeTravel {
  private readonly s: Record<string, SqlStatement>
  readonly content: DataTravel

  constructor(readonly db: SqlDatabase) {
    this.content = new DataTravel(db)
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      room: p('SELECT room_id FROM rooms WHERE room = ?'),
      head: p('SELECT seq FROM projector_state WHERE id = 1'),
      timeOf: p('SELECT time FROM events WHERE seq = ?'),
      objectsAt: p(`SELECT k.object_id, h.name, h.type, h.parent, h.visible, ${HX}, h.seq, h.data, h.materials, h.collections
        FROM object_keys k JOIN history h ON h.obj = k.obj
        WHERE k.room_id = @room AND k.first_seq <= @seq
          AND h.seq = (SELECT max(x.seq) FROM history x WHERE x.obj = k.obj AND x.seq <= @seq)
          AND h.deleted = 0
        ORDER BY k.object_id`),
      bonesAt: p(`SELECT k.object_id, b.bone, ${BX}, bh.seq
        FROM object_keys k JOIN bone_keys b ON b.obj = k.obj
        JOIN bone_history bh ON bh.obj = b.obj AND bh.bone = b.bone
        WHERE k.room_id = @room AND k.first_seq <= @seq
          AND bh.seq = (SELECT max(x.seq) FROM bone_history x WHERE x.obj = b.obj AND x.bone = b.bone AND x.seq <= @seq)
          AND bh.deleted = 0
        ORDER BY k.object_id, b.bone`),
      objectsNow: p(`SELECT object_id, name, type, parent, visible, ${X}, seq, data, materials, collections FROM objects WHERE room = ? ORDER BY object_id`),
      bonesNow: p(`SELECT o.object_id, b.bone, ${XFORM_COLUMN_NAMES.map((c) => `b.${c}`).join(', ')}, b.seq
        FROM bones b JOIN objects o ON o.obj = b.obj WHERE o.room = ? ORDER BY o.object_id, b.bone`),
      objKey: p('SELECT obj FROM object_keys WHERE room_id = ? AND object_id = ?'),
      path: p(`SELECT h.seq, e.time, e.user, e.client, h.deleted, h.name, ${HX}
        FROM history h JOIN events e ON e.seq = h.seq
        WHERE h.obj = ? AND h.seq BETWEEN ? AND ? ORDER BY h.seq`),
      changes: p(`SELECT h.seq, e.time, e.user, e.client, k.object_id, h.obj, h.deleted, h.name, h.type, h.parent, h.visible, ${HX}
        FROM history h JOIN object_keys k ON k.obj = h.obj JOIN events e ON e.seq = h.seq
        WHERE k.room_id = ? AND h.seq BETWEEN ? AND ? ORDER BY h.seq, k.object_id`),
      previous: p(`SELECT h.deleted, h.name, h.type, h.parent, h.visible, ${HX} FROM history h WHERE h.obj = ? AND h.seq < ? ORDER BY h.seq DESC LIMIT 1`),
      boneChanges: p(`SELECT bh.seq, e.time, e.user, e.client, k.object_id, bh.bone
        FROM bone_history bh JOIN object_keys k ON k.obj = bh.obj JOIN events e ON e.seq = bh.seq
        WHERE k.room_id = ? AND bh.seq BETWEEN ? AND ? ORDER BY bh.seq, k.object_id, bh.bone`),
    }
  }

  /** The last projected position. */
  head(): number {
    return (this.s.head!.get() as { seq: number }).seq
  }

  /** The position of a point of history: the last entry at or before it. */
  resolve(at?: At): number {
    if (at === undefined) return this.head()
    if ('seq' in at) return at.seq
    return this.lastAtOrBefore(at.time)
  }

  /**
   * The last position whose time is <= t (0 if none). Times never decrease
   * along the feed, so this is a binary search over positions 1..head.
   */
  private lastAtOrBefore(t: number): number {
    let lo = 1
    let hi = this.head()
    let found = 0
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2)
      const row = this.s.timeOf!.get(mid) as { time: number } | undefined
      if (row && row.time <= t) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  roomId(room: string): number | undefined {
    return (this.s.room!.get(room) as { room_id: number } | undefined)?.room_id
  }

  /** The scene's rows as the current-state tables held them after position `at` (`[P3]`). */
  sceneRowsAt(room: string, at?: At): SceneRows {
    const roomId = this.roomId(room)
    if (roomId === undefined) return { objects: [], bones: [], data: [], collections: [], camera: null }
    const seq = this.resolve(at)
    return {
      objects: this.s.objectsAt!.all({ room: roomId, seq }) as SceneRows['objects'],
      bones: this.s.bonesAt!.all({ room: roomId, seq }) as SceneRows['bones'],
      ...this.content.rowsAt(roomId, seq),
    }
  }

  /** The current-state tables' rows for a room. */
  currentRows(room: string): SceneRows {
    return {
      objects: this.s.objectsNow!.all(room) as SceneRows['objects'],
      bones: this.s.bonesNow!.all(room) as SceneRows['bones'],
      ...this.content.rowsNow(room, this.roomId(room), this.head()),
    }
  }

  /** Data blocks, collections and the camera at a point (now by default). */
  contentAt(room: string, at?: At): SceneContent {
    return contentOf(at === undefined ? this.currentRows(room) : this.sceneRowsAt(room, at))
  }

  /** One data block as it was at a point, or null when it did not exist then. */
  dataAt(room: string, id: string, at?: At): DataBlockAt | null {
    const roomId = this.roomId(room)
    return roomId === undefined ? null : this.content.dataAt(roomId, id, this.resolve(at))
  }

  sceneAt(room: string, at?: At): SceneObject[] {
    return toObjects(at === undefined ? this.currentRows(room) : this.sceneRowsAt(room, at))
  }

  /** One object's changes over [from, to] (inclusive; default: all of history). */
  path(room: string, objectId: string, from?: At, to?: At): PathPoint[] {
    const roomId = this.roomId(room)
    if (roomId === undefined) return []
    const obj = (this.s.objKey!.get(roomId, objectId) as { obj: number } | undefined)?.obj
    if (obj === undefined) return []
    const [a, b] = this.range(from, to)
    return (this.s.path!.all(obj, a, b) as Array<XformRow & { seq: number; time: number; user: string; client: number; deleted: number; name: string | null }>).map((r) => ({
      seq: r.seq,
      time: r.time,
      user: r.user,
      client: r.client,
      deleted: r.deleted === 1,
      name: r.name,
      xform: xformFromRow(r),
    }))
  }

  diff(room: string, from: At, to: At): SceneDiff {
    const a = this.resolve(from)
    const b = this.resolve(to)
    const before = new Map(this.sceneAt(room, { seq: a }).map((o) => [o.id, o]))
    const after = new Map(this.sceneAt(room, { seq: b }).map((o) => [o.id, o]))
    const out: SceneDiff = { from: a, to: b, added: [], removed: [], changed: [] }
    for (const [id, o] of after) {
      const p = before.get(id)
      if (!p) {
        out.added.push(o)
        continue
      }
      const changes = fieldChanges(p, o)
      if (changes.length > 0) out.changed.push({ id, changes })
    }
    for (const [id, o] of before) if (!after.has(id)) out.removed.push(o)
    return out
  }

  /** Who changed what, when, over [from, to] (inclusive). */
  changes(room: string, from?: At, to?: At): Change[] {
    const roomId = this.roomId(room)
    if (roomId === undefined) return []
    const [a, b] = this.range(from, to)
    type Row = ObjectRow & { seq: number; time: number; user: string; client: number; obj: number; deleted: number }
    const rows = this.s.changes!.all(roomId, a, b) as Row[]
    const last = new Map<number, (ObjectRow & { deleted: number }) | undefined>()
    const out: Change[] = []
    for (const r of rows) {
      if (!last.has(r.obj)) last.set(r.obj, this.s.previous!.get(r.obj, r.seq) as (ObjectRow & { deleted: number }) | undefined)
      const prev = last.get(r.obj)
      let what: string[]
      if (r.deleted === 1) what = ['deleted']
      else if (!prev || prev.deleted === 1) what = ['created']
      else what = OBJECT_COLUMN_NAMES.filter((c) => prev[c] !== r[c]).map(fieldOfColumn).filter((f, i, all) => all.indexOf(f) === i)
      last.set(r.obj, r)
      out.push({ seq: r.seq, time: r.time, user: r.user, client: r.client, objectId: r.object_id, what })
    }
    for (const r of this.s.boneChanges!.all(roomId, a, b) as Array<{ seq: number; time: number; user: string; client: number; object_id: string; bone: string }>) {
      out.push({ seq: r.seq, time: r.time, user: r.user, client: r.client, objectId: r.object_id, what: [`pose.${r.bone}`] })
    }
    return out.sort((x, y) => x.seq - y.seq || (x.objectId < y.objectId ? -1 : x.objectId > y.objectId ? 1 : 0))
  }

  // ---- Reads for people and exports: names, ranges, samples, the timeline ----

  private extra?: { lookup: ObjectLookup; paths: ObjectPaths; samples: SamplePages; timeline: Timeline; s: Record<string, SqlStatement> }

  private more() {
    if (!this.extra) {
      const p = (sql: string) => this.db.prepare(sql)
      this.extra = {
        lookup: new ObjectLookup(this.db),
        paths: new ObjectPaths(this.db),
        samples: new SamplePages(this.db),
        timeline: new Timeline(this.db),
        s: {
          firstIn: p('SELECT seq, time FROM events WHERE room_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT 1'),
          lastIn: p('SELECT seq, time FROM events WHERE room_id = ? AND seq >= ? AND seq <= ? ORDER BY seq DESC LIMIT 1'),
        },
      }
    }
    return this.extra
  }

  /** Whether the projection has seen the room. */
  hasRoom(room: string): boolean {
    return this.roomId(room) !== undefined
  }

  /** The room's key, or a LookupError (`unknown_room`) that lists the rooms there are. */
  requireRoom(room: string): number {
    const id = this.roomId(room)
    if (id === undefined) throw this.more().lookup.unknownRoom(room)
    return id
  }

  /** An object by id or name (LookupError: unknown room or object, or a name several objects have). */
  resolveObject(room: string, ref: string): ResolvedObject {
    return this.more().lookup.resolve(this.requireRoom(room), room, ref)
  }

  /** The positions [from, to] (inclusive) a range covers, as `path` and `changes` read it. */
  span(from?: At, to?: At): { from: number; to: number } {
    const [a, b] = this.range(from, to)
    return { from: a, to: b }
  }

  /** A range's positions and the room's first and last entries inside it (null when it has none there). */
  entrySpan(room: string, from?: At, to?: At): { from: number; to: number; first: Point | null; last: Point | null } {
    const roomId = this.requireRoom(room)
    const [a, b] = this.range(from, to)
    const s = this.more().s
    return { from: a, to: b, first: (s.firstIn!.get(roomId, a, b) as Point | undefined) ?? null, last: (s.lastIn!.get(roomId, a, b) as Point | undefined) ?? null }
  }

  /** The wall-clock time of a position (undefined before the first entry or past the head). */
  timeOf(seq: number): number | undefined {
    return (this.s.timeOf!.get(seq) as { time: number } | undefined)?.time
  }

  /** The object's name as of position `seq` (null when it had none then). */
  nameAt(room: string, objectId: string, seq: number): string | null {
    const obj = this.objKeyOf(room, objectId)
    return obj === undefined ? null : this.more().paths.nameAt(obj, seq)
  }

  /** One object's changes over [from, to] with every field and what each change changed. */
  objectPath(room: string, objectId: string, from?: At, to?: At): ObjectPathPoint[] {
    const obj = this.objKeyOf(room, objectId)
    return obj === undefined ? [] : this.more().paths.objectPath(obj, ...this.range(from, to))
  }

  /** One object's bone changes over [from, to] (inclusive), in log order. */
  bonePath(room: string, objectId: string, from?: At, to?: At): BonePathPoint[] {
    const obj = this.objKeyOf(room, objectId)
    return obj === undefined ? [] : this.more().paths.bonePath(obj, ...this.range(from, to))
  }

  /** Every sample (object and bone rows) of a room over [from, to], a page at a time ([H2]); see SamplePages. */
  samplePages(room: string, from?: At, to?: At, pageSize?: number): Generator<SampleRow[]> {
    const [a, b] = this.range(from, to)
    return this.more().samples.pages(this.requireRoom(room), a, b, pageSize)
  }

  /** How many samples `samplePages` yields over the same range. */
  countSamples(room: string, from?: At, to?: At): number {
    const [a, b] = this.range(from, to)
    return this.more().samples.count(this.requireRoom(room), a, b)
  }

  /** A page of the room's log with who changed what, by object name. */
  timeline(room: string, opts: { after?: number; before?: number; limit?: number } = {}): TimelinePage {
    return this.more().timeline.page(this.requireRoom(room), room, { ...opts, limit: opts.limit ?? 500 })
  }

  /** The room's whole log in one pass: its span, time buckets, where each client joined. */
  timelineSummary(room: string, buckets = 100): TimelineSummary {
    return this.more().timeline.summary(this.requireRoom(room), room, buckets)
  }

  private objKeyOf(room: string, objectId: string): number | undefined {
    const roomId = this.roomId(room)
    if (roomId === undefined) return undefined
    return (this.s.objKey!.get(roomId, objectId) as { obj: number } | undefined)?.obj
  }

  private range(from?: At, to?: At): [number, number] {
    let a = 0
    if (from !== undefined) a = 'seq' in from ? from.seq : this.lastAtOrBefore(from.time - 1) + 1
    const b = to === undefined ? this.head() : this.resolve(to)
    return [a, b]
  }
}

function fieldOfColumn(c: string): string {
  if (c.startsWith('loc_')) return 'location'
  if (c.startsWith('rot_')) return c === 'rot_mode' ? 'rotation_mode' : 'rotation'
  if (c.startsWith('scale_')) return 'scale'
  return c
}

function contentOf(rows: SceneRows): SceneContent {
  return { data: rows.data.map(dataBlockOf), collections: rows.collections.map(collectionOf), camera: rows.camera }
}

function toObjects(rows: SceneRows): SceneObject[] {
  const pose = new Map<string, Record<string, Xform>>()
  for (const b of rows.bones) {
    const x = xformFromRow(b)
    if (!x) continue
    let p = pose.get(b.object_id)
    if (!p) pose.set(b.object_id, (p = {}))
    p[b.bone] = x
  }
  const dataSeq = new Map(rows.data.map((d) => [d.data_id, d.seq]))
  return rows.objects.map((r) => {
    const o = objectFromRow(r)
    return { ...o, pose: pose.get(r.object_id) ?? {}, seq: r.seq, dataSeq: o.data === null ? null : (dataSeq.get(o.data) ?? null) }
  })
}

function fieldChanges(a: SceneObject, b: SceneObject): FieldChange[] {
  const out: FieldChange[] = []
  for (const f of ['name', 'type', 'parent', 'visible'] as const) if (a[f] !== b[f]) out.push({ field: f, before: a[f], after: b[f] })
  if (JSON.stringify(a.xform) !== JSON.stringify(b.xform)) out.push({ field: 'xform', before: a.xform, after: b.xform })
  for (const f of ['data', 'materials', 'collections'] as const) if (JSON.stringify(a[f]) !== JSON.stringify(b[f])) out.push({ field: f, before: a[f], after: b[f] })
  // Same data block, another version of it (its geometry or settings changed).
  if (a.data === b.data && a.dataSeq !== b.dataSeq) out.push({ field: 'data.version', before: a.dataSeq, after: b.dataSeq })
  const bones = new Set([...Object.keys(a.pose), ...Object.keys(b.pose)])
  for (const bone of [...bones].sort()) {
    if (JSON.stringify(a.pose[bone]) !== JSON.stringify(b.pose[bone])) out.push({ field: `pose.${bone}`, before: a.pose[bone] ?? null, after: b.pose[bone] ?? null })
  }
  return out
}
