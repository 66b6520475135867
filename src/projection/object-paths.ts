/**
 * One object's history as people read it: each change with every field after
 * it and what it changed, its pose bones' changes, and its name at a moment.
 * TimeTravel resolves the room and object to the integer key used here.
 */
import type { Xform } from '../crdt/index.js'
import { type ObjectRow, type XformRow, xformFromRow } from './object-rows.js'
import { OBJECT_COLUMN_NAMES, XFORM_COLUMN_NAMES } from './schema.js'
import type { SqlDatabase, SqlStatement } from './sql.js'

/** A point of an object's path with every field after the change and what changed. */
export interface ObjectPathPoint {
  seq: number
  time: number
  user: string
  client: number
  deleted: boolean
  name: string | null
  type: string | null
  parent: string | null
  visible: boolean
  xform: Xform | null
  /** 'created', 'deleted', or the changed fields (name, type, parent, visible, rotation_mode, location, rotation, scale). */
  what: string[]
}

/** One bone's change in an object's path. */
export interface BonePathPoint {
  bone: string
  seq: number
  time: number
  user: string
  client: number
  /** The bone left the pose (or the object was deleted). */
  deleted: boolean
  xform: Xform | null
}

const HX = XFORM_COLUMN_NAMES.map((c) => `h.${c}`).join(', ')
const BX = XFORM_COLUMN_NAMES.map((c) => `bh.${c}`).join(', ')

type Entry = { seq: number; time: number; user: string; client: number; deleted: number }

function fieldOf(column: string): string {
  if (column.startsWith('loc_')) return 'location'
  if (column === 'rot_mode') return 'rotation_mode'
  if (column.startsWith('rot_')) return 'rotation'
  if (column.startsWith('scale_')) return 'scale'
  return column
}

export class ObjectPaths {
  private readonly s: Record<string, SqlStatement>

  constructor(db: SqlDatabase) {
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      path: p(`SELECT h.seq, e.time, e.user, e.client, h.deleted, h.name, h.type, h.parent, h.visible, ${HX}
        FROM history h JOIN events e ON e.seq = h.seq WHERE h.obj = ? AND h.seq BETWEEN ? AND ? ORDER BY h.seq`),
      previous: p(`SELECT h.deleted, h.name, h.type, h.parent, h.visible, ${HX} FROM history h WHERE h.obj = ? AND h.seq < ? ORDER BY h.seq DESC LIMIT 1`),
      bones: p(`SELECT bh.bone, bh.seq, e.time, e.user, e.client, bh.deleted, ${BX}
        FROM bone_keys b JOIN bone_history bh ON bh.obj = b.obj AND bh.bone = b.bone AND bh.seq BETWEEN ? AND ?
        JOIN events e ON e.seq = bh.seq WHERE b.obj = ? ORDER BY bh.seq, bh.bone`),
      nameAt: p('SELECT h.name FROM history h WHERE h.obj = ? AND h.seq <= ? ORDER BY h.seq DESC LIMIT 1'),
    }
  }

  objectPath(obj: number, a: number, b: number): ObjectPathPoint[] {
    let prev = this.s.previous!.get(obj, a) as (ObjectRow & { deleted: number }) | undefined
    return (this.s.path!.all(obj, a, b) as Array<ObjectRow & Entry>).map((r) => {
      const before = prev
      const what =
        r.deleted === 1
          ? ['deleted']
          : !before || before.deleted === 1
            ? ['created']
            : OBJECT_COLUMN_NAMES.filter((c) => before[c] !== r[c]).map(fieldOf).filter((f, i, all) => all.indexOf(f) === i)
      prev = r
      return {
        seq: r.seq,
        time: r.time,
        user: r.user,
        client: r.client,
        deleted: r.deleted === 1,
        name: r.name,
        type: r.type,
        parent: r.parent,
        visible: r.visible === 1,
        xform: xformFromRow(r),
        what,
      }
    })
  }

  bonePath(obj: number, a: number, b: number): BonePathPoint[] {
    return (this.s.bones!.all(a, b, obj) as Array<XformRow & Entry & { bone: string }>).map((r) => ({
      bone: r.bone,
      seq: r.seq,
      time: r.time,
      user: r.user,
      client: r.client,
      deleted: r.deleted === 1,
      xform: xformFromRow(r),
    }))
  }

  nameAt(obj: number, seq: number): string | null {
    return (this.s.nameAt!.get(obj, seq) as { name: string | null } | undefined)?.name ?? null
  }
}
