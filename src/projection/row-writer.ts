/**
 * Writes projection rows with prepared statements. Knows the tables, not the
 * log or Yjs: the projector hands it typed object states.
 */
import type { ObjectState, Problem, Xform } from '../crdt/index.js'
import type { SqlDatabase, SqlStatement } from './sql.js'
import { xformColumns } from './object-rows.js'

function objectColumns(s: ObjectState): unknown[] {
  return [s.name, s.type, s.parent, s.visible ? 1 : 0, ...xformColumns(s.xform)]
}

/** JSON for the rejected table: bounded, and never throws on odd values. */
export function valueText(v: unknown): string {
  let s: string
  try {
    s = JSON.stringify(v, (_k, x: unknown) => {
      if (x instanceof Uint8Array) return `<${x.length} bytes>`
      if (typeof x === 'bigint') return `${x}n`
      if (typeof x === 'number' && !Number.isFinite(x)) return String(x)
      if (x !== null && typeof x === 'object' && typeof (x as { toJSON?: unknown }).toJSON === 'function') return (x as { toJSON(): unknown }).toJSON()
      return x
    }) ?? String(v)
  } catch {
    s = String(v)
  }
  return s.length > 1000 ? s.slice(0, 1000) + '…' : s
}

const marks = (n: number) => Array(n).fill('?').join(', ')

export class RowWriter {
  private readonly s: Record<string, SqlStatement>
  private readonly roomIds = new Map<string, number>()
  private readonly objKeys = new Map<string, number>()
  private readonly boneKeys = new Set<string>()

  constructor(readonly db: SqlDatabase) {
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      findRoom: p('SELECT room_id FROM rooms WHERE room = ?'),
      insertRoom: p('INSERT INTO rooms (room) VALUES (?)'),
      findObj: p('SELECT obj FROM object_keys WHERE room_id = ? AND object_id = ?'),
      insertObj: p('INSERT INTO object_keys (room_id, object_id, first_seq) VALUES (?, ?, ?)'),
      insertEvent: p('INSERT INTO events (seq, room_id, cursor, time, client, user, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      history: p(`INSERT INTO history VALUES (${marks(18)})`),
      upsertObject: p(`INSERT OR REPLACE INTO objects VALUES (${marks(19)})`),
      deleteObject: p('DELETE FROM objects WHERE obj = ?'),
      insertBoneKey: p('INSERT OR IGNORE INTO bone_keys (obj, bone) VALUES (?, ?)'),
      boneHistory: p(`INSERT INTO bone_history VALUES (${marks(15)})`),
      upsertBone: p(`INSERT OR REPLACE INTO bones VALUES (${marks(14)})`),
      deleteBone: p('DELETE FROM bones WHERE obj = ? AND bone = ?'),
      reject: p('INSERT INTO rejected (seq, room_id, object_id, key, bone, value, reason) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      setCursor: p('UPDATE projector_state SET cursor = ?, seq = ? WHERE id = 1'),
    }
  }

  /** Forgets cached ids: after a rolled-back transaction they may not exist. */
  resetCaches(): void {
    this.roomIds.clear()
    this.objKeys.clear()
    this.boneKeys.clear()
  }

  roomId(room: string): number {
    let id = this.roomIds.get(room)
    if (id === undefined) {
      const row = this.s.findRoom!.get(room) as { room_id: number } | undefined
      id = row ? row.room_id : Number(this.s.insertRoom!.run(room).lastInsertRowid)
      this.roomIds.set(room, id)
    }
    return id
  }

  objKey(roomId: number, objectId: string, seq: number): number {
    const k = `${roomId}\u0000${objectId}`
    let obj = this.objKeys.get(k)
    if (obj === undefined) {
      const row = this.s.findObj!.get(roomId, objectId) as { obj: number } | undefined
      obj = row ? row.obj : Number(this.s.insertObj!.run(roomId, objectId, seq).lastInsertRowid)
      this.objKeys.set(k, obj)
    }
    return obj
  }

  event(seq: number, roomId: number, cursor: string, time: number, client: number, user: string, bytes: number): void {
    this.s.insertEvent!.run(seq, roomId, cursor, time, client, user, bytes)
  }

  history(obj: number, seq: number, deleted: boolean, state: ObjectState): void {
    this.s.history!.run(obj, seq, deleted ? 1 : 0, ...objectColumns(state))
  }

  upsertObject(obj: number, room: string, state: ObjectState, seq: number): void {
    this.s.upsertObject!.run(obj, room, state.id, ...objectColumns(state), seq)
  }

  deleteObject(obj: number): void {
    this.s.deleteObject!.run(obj)
  }

  bone(obj: number, bone: string, seq: number, xform: Xform | null): void {
    const k = `${obj}\u0000${bone}`
    if (!this.boneKeys.has(k)) {
      this.s.insertBoneKey!.run(obj, bone)
      this.boneKeys.add(k)
    }
    this.s.boneHistory!.run(obj, bone, seq, xform ? 0 : 1, ...xformColumns(xform))
    if (xform) this.s.upsertBone!.run(obj, bone, ...xformColumns(xform), seq)
    else this.s.deleteBone!.run(obj, bone)
  }

  reject(seq: number, roomId: number, p: Problem): void {
    this.s.reject!.run(seq, roomId, p.objectId, p.key, p.bone ?? null, valueText(p.value), p.reason)
  }

  setCursor(cursor: string, seq: number): void {
    this.s.setCursor!.run(cursor, seq)
  }

  cursor(): { cursor: string; seq: number } {
    return this.db.prepare('SELECT cursor, seq FROM projector_state WHERE id = 1').get() as { cursor: string; seq: number }
  }
}
