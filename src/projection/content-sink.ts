/**
 * Writes a batch's content rows (content-rows.ts) inside RowSink's
 * transaction: data versions and the live data blocks, chunk locations,
 * collections and scene settings. The live tables follow each history row in
 * order, so the last row of a batch is what stays.
 */
import type { ContentBatch } from './content-rows.js'
import type { SqlDatabase, SqlStatement } from './sql.js'

const marks = (n: number) => Array(n).fill('?').join(', ')

export class ContentSink {
  private readonly s: Record<string, SqlStatement>
  private readonly dataKeys = new Map<string, number>()

  constructor(
    db: SqlDatabase,
    private readonly roomId: (room: string) => number,
  ) {
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      findData: p('SELECT dkey FROM data_keys WHERE room_id = ? AND data_id = ?'),
      insertData: p('INSERT INTO data_keys (room_id, data_id, first_seq) VALUES (?, ?, ?)'),
      version: p(`INSERT INTO data_versions VALUES (${marks(24)})`),
      upsertBlock: p(`INSERT OR REPLACE INTO data_blocks VALUES (${marks(25)})`),
      deleteBlock: p('DELETE FROM data_blocks WHERE dkey = ?'),
      chunk: p('INSERT OR IGNORE INTO geometry_chunks VALUES (?, ?, ?, ?)'),
      collection: p(`INSERT INTO collection_history VALUES (${marks(7)})`),
      upsertCollection: p(`INSERT OR REPLACE INTO collections VALUES (${marks(6)})`),
      deleteCollection: p('DELETE FROM collections WHERE room_id = ? AND collection_id = ?'),
      scene: p('INSERT OR REPLACE INTO scene_history VALUES (?, ?, ?)'),
    }
  }

  write(c: ContentBatch): void {
    for (const [room, id, seq, deleted, ...rest] of c.data) {
      const dkey = this.dataKey(room, id, seq)
      this.s.version!.run(dkey, seq, deleted, ...rest)
      if (deleted) this.s.deleteBlock!.run(dkey)
      else this.s.upsertBlock!.run(dkey, room, id, seq, ...rest)
    }
    for (const [room, hash, idx, seq] of c.chunks) this.s.chunk!.run(this.roomId(room), hash, idx, seq)
    for (const [room, id, seq, deleted, ...rest] of c.collections) {
      const rid = this.roomId(room)
      this.s.collection!.run(rid, id, seq, deleted, ...rest)
      if (deleted) this.s.deleteCollection!.run(rid, id)
      else this.s.upsertCollection!.run(rid, id, seq, ...rest)
    }
    for (const [room, seq, camera] of c.scene) this.s.scene!.run(this.roomId(room), seq, camera)
  }

  /** Keys cached inside a rolled-back transaction may not exist. */
  forget(): void {
    this.dataKeys.clear()
  }

  private dataKey(room: string, id: string, seq: number): number {
    const k = `${room}\u0000${id}`
    let dkey = this.dataKeys.get(k)
    if (dkey === undefined) {
      const roomId = this.roomId(room)
      const row = this.s.findData!.get(roomId, id) as { dkey: number } | undefined
      dkey = row ? row.dkey : Number(this.s.insertData!.run(roomId, id, seq).lastInsertRowid)
      this.dataKeys.set(k, dkey)
    }
    return dkey
  }
}
