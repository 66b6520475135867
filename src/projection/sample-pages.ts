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

export class SamplePages {
  private readonly s: Record<string, SqlStatement>

  constructor(db: SqlDatabase) {
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      objects: p('SELECT obj, object_id FROM object_keys WHERE room_id = ? AND first_seq <= ? ORDER BY obj'),
      objectRows: p(`SELECT h.seq, e.time, e.user, e.client, h.deleted, h.name, h.type, h.parent, h.visible, ${HX}
        FROM history h JOIN events e ON e.seq = h.seq
        WHERE h.obj = ? AND h.seq > ? AND h.seq <= ? ORDER BY h.seq LIMIT ?`),
      bones: p('SELECT bone FROM bone_keys WHERE obj = ? ORDER BY bone'),
      boneRows: p(`SELECT bh.seq, e.time, e.user, e.client, bh.deleted,
          (SELECT x.name FROM history x WHERE x.obj = bh.obj AND x.seq <= bh.seq ORDER BY x.seq DESC LIMIT 1) AS name, ${BX}
        FROM bone_history bh JOIN events e ON e.seq = bh.seq
        WHERE bh.obj = ? AND bh.bone = ? AND bh.seq > ? AND bh.seq <= ? ORDER BY bh.seq LIMIT ?`),
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
        const rows = this.s.objectRows!.all(obj, after, b, want) as SampleRow[]
        for (const r of rows) {
          r.object_id = object_id
          r.bone = null
          page.push(r)
        }
        if (page.length >= pageSize) {
          yield page
          page = []
        }
        if (rows.length < want) break
        after = rows[rows.length - 1]!.seq
      }
      for (const { bone } of this.s.bones!.all(obj) as Array<{ bone: string }>) {
        after = a - 1
        for (;;) {
          const want = pageSize - page.length
          const rows = this.s.boneRows!.all(obj, bone, after, b, want) as SampleRow[]
          for (const r of rows) {
            r.object_id = object_id
            r.bone = bone
            r.type = null
            r.parent = null
            r.visible = null
            page.push(r)
          }
          if (page.length >= pageSize) {
            yield page
            page = []
          }
          if (rows.length < want) break
          after = rows[rows.length - 1]!.seq
        }
      }
    }
    if (page.length > 0) yield page
  }
}
