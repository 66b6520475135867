/**
 * The samples of a time range, page by page, for exports (`[H2]`): every
 * history row of a room's objects and every bone_history row, in (object,
 * bone, position) order. Each page is read by its own short statement over the
 * tables' primary keys, so a caller may await between pages (a better-sqlite3
 * iterator left open would make the connection refuse the projector's writes)
 * and holds one page in memory, whatever the range.
 */
import { XFORM_COLUMN_NAMES } from './schema.js'
import type { XformRow } from './object-rows.js'
import type { SqlDatabase, SqlStatement } from './sql.js'

/** One sample: an object's values after a log entry changed it, or one bone's. */
export interface SampleRow extends XformRow {
  object_id: string
  /** null on the object's own rows. */
  bone: string | null
  seq: number
  /** Server wall-clock ms of the entry. */
  time: number
  user: string
  client: number
  /** 1 when the entry deleted the object (or removed the bone); the values are the last ones it had. */
  deleted: number
  /** The object's name at this position (on bone rows too). */
  name: string | null
  /** The object's own fields; null on bone rows. */
  type: string | null
  parent: string | null
  visible: number | null
}

const HX = XFORM_COLUMN_NAMES.map((c) => `h.${c}`).join(', ')
const BX = XFORM_COLUMN_NAMES.map((c) => `bh.${c}`).join(', ')

type Raw = unknown[]

/**
 * Rows as arrays: better-sqlite3 builds an object per row through V8's slow
 * property path, which costs about as much as the query itself on a million
 * rows; an array per row and an object literal here cost ~40% less.
 */
function raw(stmt: SqlStatement): SqlStatement {
  const r = (stmt as SqlStatement & { raw?: (on: boolean) => SqlStatement }).raw
  if (!r) throw new Error('sample pages need a statement with raw rows (better-sqlite3)')
  return r.call(stmt, true)
}

/** An object row: seq, time, user, client, deleted, name, type, parent, visible, then the transform. */
function objectSample(objectId: string, r: Raw): SampleRow {
  return {
    object_id: objectId,
    bone: null,
    seq: r[0] as number,
    time: r[1] as number,
    user: r[2] as string,
    client: r[3] as number,
    deleted: r[4] as number,
    name: r[5] as string | null,
    type: r[6] as string | null,
    parent: r[7] as string | null,
    visible: r[8] as number,
    rot_mode: r[9] as string | null,
    loc_x: r[10] as number | null,
    loc_y: r[11] as number | null,
    loc_z: r[12] as number | null,
    rot_w: r[13] as number | null,
    rot_x: r[14] as number | null,
    rot_y: r[15] as number | null,
    rot_z: r[16] as number | null,
    scale_x: r[17] as number | null,
    scale_y: r[18] as number | null,
    scale_z: r[19] as number | null,
  }
}

/** A bone row: seq, time, user, client, deleted, the object's name, then the transform. */
function boneSample(objectId: string, bone: string, r: Raw): SampleRow {
  return {
    object_id: objectId,
    bone,
    seq: r[0] as number,
    time: r[1] as number,
    user: r[2] as string,
    client: r[3] as number,
    deleted: r[4] as number,
    name: r[5] as string | null,
    type: null,
    parent: null,
    visible: null,
    rot_mode: r[6] as string | null,
    loc_x: r[7] as number | null,
    loc_y: r[8] as number | null,
    loc_z: r[9] as number | null,
    rot_w: r[10] as number | null,
    rot_x: r[11] as number | null,
    rot_y: r[12] as number | null,
    rot_z: r[13] as number | null,
    scale_x: r[14] as number | null,
    scale_y: r[15] as number | null,
    scale_z: r[16] as number | null,
  }
}

export class SamplePages {
  private readonly s: Record<string, SqlStatement>

  constructor(db: SqlDatabase) {
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      objects: p('SELECT obj, object_id FROM object_keys WHERE room_id = ? AND first_seq <= ? ORDER BY obj'),
      objectRows: raw(p(`SELECT h.seq, e.time, e.user, e.client, h.deleted, h.name, h.type, h.parent, h.visible, ${HX}
        FROM history h JOIN events e ON e.seq = h.seq
        WHERE h.obj = ? AND h.seq > ? AND h.seq <= ? ORDER BY h.seq LIMIT ?`)),
      bones: p('SELECT bone FROM bone_keys WHERE obj = ? ORDER BY bone'),
      boneRows: raw(p(`SELECT bh.seq, e.time, e.user, e.client, bh.deleted,
          (SELECT x.name FROM history x WHERE x.obj = bh.obj AND x.seq <= bh.seq ORDER BY x.seq DESC LIMIT 1) AS name, ${BX}
        FROM bone_history bh JOIN events e ON e.seq = bh.seq
        WHERE bh.obj = ? AND bh.bone = ? AND bh.seq > ? AND bh.seq <= ? ORDER BY bh.seq LIMIT ?`)),
      count: p(`SELECT
          (SELECT count(*) FROM object_keys k JOIN history h ON h.obj = k.obj AND h.seq BETWEEN @a AND @b WHERE k.room_id = @room)
        + (SELECT count(*) FROM object_keys k JOIN bone_keys bk ON bk.obj = k.obj
             JOIN bone_history bh ON bh.obj = bk.obj AND bh.bone = bk.bone AND bh.seq BETWEEN @a AND @b WHERE k.room_id = @room) AS n`),
    }
  }

  /** How many samples `pages` yields for the same arguments. */
  count(roomId: number, a: number, b: number): number {
    return (this.s.count!.get({ room: roomId, a, b }) as { n: number }).n
  }

  /** Pages of at most `pageSize` samples with positions in [a, b]. */
  *pages(roomId: number, a: number, b: number, pageSize = 4096): Generator<SampleRow[]> {
    let page: SampleRow[] = []
    const objects = this.s.objects!.all(roomId, b) as Array<{ obj: number; object_id: string }>
    for (const { obj, object_id } of objects) {
      let after = a - 1
      for (;;) {
        const want = pageSize - page.length
        const rows = this.s.objectRows!.all(obj, after, b, want) as Raw[]
        for (const r of rows) page.push(objectSample(object_id, r))
        if (page.length >= pageSize) {
          yield page
          page = []
        }
        if (rows.length < want) break
        after = rows[rows.length - 1]![0] as number
      }
      for (const { bone } of this.s.bones!.all(obj) as Array<{ bone: string }>) {
        after = a - 1
        for (;;) {
          const want = pageSize - page.length
          const rows = this.s.boneRows!.all(obj, bone, after, b, want) as Raw[]
          for (const r of rows) page.push(boneSample(object_id, bone, r))
          if (page.length >= pageSize) {
            yield page
            page = []
          }
          if (rows.length < want) break
          after = rows[rows.length - 1]![0] as number
        }
      }
    }
    if (page.length > 0) yield page
  }
}
