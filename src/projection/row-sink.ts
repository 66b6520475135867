/**
 * The SQL side of the projector: writes a RowBatch and the new cursor in one
 * SQLite transaction (`[P2]`), mapping rooms, objects and bones to the small
 * integer keys the tables use. Knows the tables, not Yjs.
 */
import type { ObjectState, Xform } from '../crdt/index.js'
import type { Cursor } from '../log/event-log.js'
import { type ObjectRow, type XformRow, objectFromRow, xformFromRow } from './object-rows.js'
import type { RowBatch } from './row-batch.js'
import { ContentSink } from './content-sink.js'
import { createSchema } from './schema.js'
import type { SqlDatabase, SqlStatement } from './sql.js'

const marks = (n: number) => Array(n).fill('?').join(', ')

export class RowSink {
  private readonly s: Record<string, SqlStatement>
  private readonly roomIds = new Map<string, number>()
  private readonly objKeys = new Map<string, number>()
  private readonly boneKeys = new Set<string>()
  private readonly content: ContentSink

  constructor(readonly db: SqlDatabase) {
    createSchema(db)
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      findRoom: p('SELECT room_id FROM rooms WHERE room = ?'),
      insertRoom: p('INSERT INTO rooms (room) VALUES (?)'),
      findObj: p('SELECT obj FROM object_keys WHERE room_id = ? AND object_id = ?'),
      insertObj: p('INSERT INTO object_keys (room_id, object_id, first_seq) VALUES (?, ?, ?)'),
      event: p(`INSERT INTO events (seq, room_id, cursor, time, client, user, bytes) VALUES (${marks(7)})`),
      history: p(`INSERT INTO history VALUES (${marks(21)})`),
      upsertObject: p(`INSERT OR REPLACE INTO objects VALUES (${marks(22)})`),
      deleteObject: p('DELETE FROM objects WHERE obj = ?'),
      insertBoneKey: p('INSERT OR IGNORE INTO bone_keys (obj, bone) VALUES (?, ?)'),
      boneHistory: p(`INSERT INTO bone_history VALUES (${marks(15)})`),
      upsertBone: p(`INSERT OR REPLACE INTO bones VALUES (${marks(14)})`),
      deleteBone: p('DELETE FROM bones WHERE obj = ? AND bone = ?'),
      reject: p('INSERT INTO rejected (seq, room_id, object_id, key, bone, value, reason) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      setCursor: p('UPDATE projector_state SET cursor = ?, seq = ? WHERE id = 1'),
      getCursor: p('SELECT cursor, seq FROM projector_state WHERE id = 1'),
      objectsOf: p('SELECT * FROM objects WHERE room = ?'),
      bonesOf: p('SELECT bone, rot_mode, loc_x, loc_y, loc_z, rot_w, rot_x, rot_y, rot_z, scale_x, scale_y, scale_z FROM bones WHERE obj = ?'),
    }
    this.content = new ContentSink(db, (room) => this.roomId(room))
  }

  position(): { cursor: Cursor; seq: number } {
    return this.s.getCursor!.get() as { cursor: Cursor; seq: number }
  }

  /** Writes the batch and moves the cursor, all in one transaction; `hook` marks crash points inside it. */
  write(batch: RowBatch, hook: (point: 'after-rows' | 'before-commit') => void = () => {}): void {
    try {
      this.db.transaction(() => {
        let seq = batch.firstSeq
        for (const [room, cursor, time, client, user, bytes] of batch.events) this.s.event!.run(seq++, this.roomId(room), cursor, time, client, user, bytes)
        for (const [room, id, s, ...rest] of batch.history) this.s.history!.run(this.objKey(room, id, s), s, ...rest)
        for (const [room, id, bone, s, ...x] of batch.bones) {
          const obj = this.objKey(room, id, s)
          const bk = `${obj}\u0000${bone}`
          if (!this.boneKeys.has(bk)) {
            this.s.insertBoneKey!.run(obj, bone)
            this.boneKeys.add(bk)
          }
          const removed = x[0] === null
          this.s.boneHistory!.run(obj, bone, s, removed ? 1 : 0, ...x)
          if (removed) this.s.deleteBone!.run(obj, bone)
          else this.s.upsertBone!.run(obj, bone, ...x, s)
        }
        for (const row of batch.current) {
          const [room, id, s, ...values] = row
          const obj = this.objKey(room, id, s)
          if (values.length === 0) this.s.deleteObject!.run(obj)
          else this.s.upsertObject!.run(obj, room, id, ...values.slice(0, -3), s, ...values.slice(-3))
        }
        this.content.write(batch.content)
        for (const [s, room, ...rest] of batch.rejected) this.s.reject!.run(s, this.roomId(room), ...rest)
        hook('after-rows')
        this.s.setCursor!.run(batch.cursor, batch.firstSeq + batch.events.length - 1)
        hook('before-commit')
      })()
    } catch (e) {
      // Ids cached inside the rolled-back transaction may not exist.
      this.roomIds.clear()
      this.objKeys.clear()
      this.boneKeys.clear()
      this.content.forget()
      throw e
    }
  }

  /** The last projected state of each object of a room (for a restarted extractor). */
  loadStates(room: string): Map<string, ObjectState> {
    const states = new Map<string, ObjectState>()
    for (const r of this.s.objectsOf!.all(room) as Array<ObjectRow & { obj: number }>) {
      const pose = new Map<string, Xform>()
      for (const b of this.s.bonesOf!.all(r.obj) as Array<XformRow & { bone: string }>) {
        const x = xformFromRow(b)
        if (x) pose.set(b.bone, x)
      }
      states.set(r.object_id, objectFromRow(r, pose))
    }
    return states
  }

  private roomId(room: string): number {
    let id = this.roomIds.get(room)
    if (id === undefined) {
      const row = this.s.findRoom!.get(room) as { room_id: number } | undefined
      id = row ? row.room_id : Number(this.s.insertRoom!.run(room).lastInsertRowid)
      this.roomIds.set(room, id)
    }
    return id
  }

  private objKey(room: string, objectId: string, seq: number): number {
    const k = `${room}\u0000${objectId}`
    let obj = this.objKeys.get(k)
    if (obj === undefined) {
      const roomId = this.roomId(room)
      const row = this.s.findObj!.get(roomId, objectId) as { obj: number } | undefined
      obj = row ? row.obj : Number(this.s.insertObj!.run(roomId, objectId, seq).lastInsertRowid)
      this.objKeys.set(k, obj)
    }
    return obj
  }
}
