/**
 * Time travel for scene content (`[D4]`): data blocks, collections and the
 * active camera at a point of history, one data block's versions, and a
 * version's geometry bytes, read back from the log entries the projection says
 * carry its chunks. Plain SQL over content-schema.ts; the current-state tables
 * and the history give the same rows for the same point (`[P3]`).
 */
import * as Y from 'yjs'
import { geometryHash } from '../crdt/index.js'
import { type Cursor, type EventLog, START } from '../log/event-log.js'
import { DATA_SUMMARY_COLUMNS } from './content-schema.js'
import type { SqlDatabase, SqlStatement } from './sql.js'

const D = ['kind', 'name', 'settings', 'hash', 'size', 'chunks', 'pending', ...DATA_SUMMARY_COLUMNS].join(', ')
const DV = ['kind', 'name', 'settings', 'hash', 'size', 'chunks', 'pending', ...DATA_SUMMARY_COLUMNS].map((c) => `v.${c}`).join(', ')

export interface DataRowOut {
  data_id: string
  seq: number
  kind: string | null
  name: string | null
  settings: string | null
  hash: string | null
  size: number | null
  chunks: number | null
  pending: number
  vertices: number | null
  edges: number | null
  faces: number | null
  loops: number | null
  uv_layers: number | null
  bones: number | null
  splines: number | null
  points: number | null
  min_x: number | null
  min_y: number | null
  min_z: number | null
  max_x: number | null
  max_y: number | null
  max_z: number | null
}

export interface CollectionRowOut {
  collection_id: string
  seq: number
  name: string | null
  parent: string | null
  flags: string | null
}

export interface ContentRows {
  data: DataRowOut[]
  collections: CollectionRowOut[]
  camera: string | null
}

/** A data block as the HTTP API and the library hand it out. */
export interface DataBlockAt {
  id: string
  /** Position of this version: the entry that made it. */
  seq: number
  kind: string | null
  name: string | null
  settings: Record<string, unknown>
  geometry: null | {
    hash: string
    size: number
    chunks: number
    /** Referenced before all its chunks were in: the bytes are not readable at this point. */
    pending: boolean
    counts: { vertices: number; edges: number; faces: number; loops: number; uvLayers: number; bones: number; splines: number; points: number } | null
    bounds: { min: [number, number, number]; max: [number, number, number] } | null
  }
}

export interface CollectionAt {
  id: string
  seq: number
  name: string | null
  parent: string | null
  flags: Record<string, boolean>
}

export class GeometryReadError extends Error {
  readonly code = 'geometry_unreadable'
}

export function dataBlockOf(r: DataRowOut): DataBlockAt {
  const geometry: DataBlockAt['geometry'] =
    r.hash === null
      ? null
      : {
          hash: r.hash,
          size: r.size!,
          chunks: r.chunks!,
          pending: r.pending === 1,
          counts: r.vertices === null ? null : { vertices: r.vertices, edges: r.edges!, faces: r.faces!, loops: r.loops!, uvLayers: r.uv_layers!, bones: r.bones!, splines: r.splines!, points: r.points! },
          bounds: r.min_x === null ? null : { min: [r.min_x, r.min_y!, r.min_z!], max: [r.max_x!, r.max_y!, r.max_z!] },
        }
  return { id: r.data_id, seq: r.seq, kind: r.kind, name: r.name, settings: r.settings ? (JSON.parse(r.settings) as Record<string, unknown>) : {}, geometry }
}

export function collectionOf(r: CollectionRowOut): CollectionAt {
  return { id: r.collection_id, seq: r.seq, name: r.name, parent: r.parent, flags: r.flags ? (JSON.parse(r.flags) as Record<string, boolean>) : {} }
}

export class DataTravel {
  private readonly s: Record<string, SqlStatement>

  constructor(db: SqlDatabase) {
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      dataAt: p(`SELECT k.data_id, v.seq, ${DV} FROM data_keys k JOIN data_versions v ON v.dkey = k.dkey
        WHERE k.room_id = @room AND k.first_seq <= @seq
          AND v.seq = (SELECT max(x.seq) FROM data_versions x WHERE x.dkey = k.dkey AND x.seq <= @seq) AND v.deleted = 0
        ORDER BY k.data_id`),
      dataNow: p(`SELECT data_id, seq, ${D} FROM data_blocks WHERE room = ? ORDER BY data_id`),
      oneAt: p(`SELECT k.data_id, v.seq, ${DV} FROM data_keys k JOIN data_versions v ON v.dkey = k.dkey
        WHERE k.room_id = @room AND k.data_id = @id AND v.seq <= @seq AND v.deleted = 0
          AND v.seq = (SELECT max(x.seq) FROM data_versions x WHERE x.dkey = k.dkey AND x.seq <= @seq)`),
      versions: p(`SELECT k.data_id, v.seq, ${DV}, e.time, e.user, e.client FROM data_keys k JOIN data_versions v ON v.dkey = k.dkey
        JOIN events e ON e.seq = v.seq WHERE k.room_id = ? AND k.data_id = ? AND v.seq BETWEEN ? AND ? ORDER BY v.seq`),
      collectionsAt: p(`SELECT h.collection_id, h.seq, h.name, h.parent, h.flags FROM collection_history h
        WHERE h.room_id = @room AND h.seq = (SELECT max(x.seq) FROM collection_history x WHERE x.room_id = h.room_id AND x.collection_id = h.collection_id AND x.seq <= @seq)
          AND h.deleted = 0 ORDER BY h.collection_id`),
      collectionsNow: p('SELECT collection_id, seq, name, parent, flags FROM collections WHERE room_id = ? ORDER BY collection_id'),
      cameraAt: p('SELECT camera FROM scene_history WHERE room_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1'),
      chunkAt: p('SELECT seq FROM geometry_chunks WHERE room_id = ? AND hash = ? AND idx = ? AND seq <= ? ORDER BY seq DESC'),
      cursorOf: p('SELECT cursor FROM events WHERE seq = ?'),
    }
  }

  rowsAt(roomId: number, seq: number): ContentRows {
    return {
      data: this.s.dataAt!.all({ room: roomId, seq }) as DataRowOut[],
      collections: this.s.collectionsAt!.all({ room: roomId, seq }) as CollectionRowOut[],
      camera: ((this.s.cameraAt!.get(roomId, seq) as { camera: string | null } | undefined)?.camera) ?? null,
    }
  }

  rowsNow(room: string, roomId: number | undefined, head: number): ContentRows {
    return {
      data: this.s.dataNow!.all(room) as DataRowOut[],
      collections: roomId === undefined ? [] : (this.s.collectionsNow!.all(roomId) as CollectionRowOut[]),
      camera: roomId === undefined ? null : ((this.s.cameraAt!.get(roomId, head) as { camera: string | null } | undefined)?.camera ?? null),
    }
  }

  dataAt(roomId: number, id: string, seq: number): DataBlockAt | null {
    const r = this.s.oneAt!.get({ room: roomId, id, seq }) as DataRowOut | undefined
    return r ? dataBlockOf(r) : null
  }

  versions(roomId: number, id: string, from: number, to: number): Array<DataBlockAt & { time: number; user: string; client: number }> {
    return (this.s.versions!.all(roomId, id, from, to) as Array<DataRowOut & { time: number; user: string; client: number }>).map((r) => ({ ...dataBlockOf(r), time: r.time, user: r.user, client: r.client }))
  }

  /**
   * The bytes of a version's geometry as they were: each chunk is read from the
   * latest log entry at or before the version that wrote it, and the whole is
   * checked against the hash.
   */
  async geometryBytes(log: EventLog, roomId: number, version: DataBlockAt): Promise<Uint8Array> {
    const g = version.geometry
    if (!g) throw new GeometryReadError(`data block ${version.id} has no geometry at position ${version.seq}`)
    if (g.pending) throw new GeometryReadError(`the geometry of ${version.id} at position ${version.seq} was not complete yet (its chunks were still arriving)`)
    const parts: Uint8Array[] = []
    for (let i = 0; i < g.chunks; i++) {
      const seqs = (this.s.chunkAt!.all(roomId, g.hash, i, version.seq) as Array<{ seq: number }>).map((r) => r.seq)
      let found: Uint8Array | null = null
      for (const seq of seqs) {
        found = chunkIn(await this.entryAt(log, seq), `${g.hash}/${i}`)
        if (found) break
      }
      if (!found) throw new GeometryReadError(`chunk ${i} of ${g.hash.slice(0, 12)}… is in no log entry before position ${version.seq}`)
      parts.push(found)
    }
    const bytes = Buffer.concat(parts)
    if (bytes.length !== g.size || geometryHash(bytes) !== g.hash) throw new GeometryReadError(`the chunks read from the log do not make ${g.hash.slice(0, 12)}…`)
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)
  }

  private async entryAt(log: EventLog, seq: number): Promise<Uint8Array | null> {
    const prev = seq === 1 ? START : ((this.s.cursorOf!.get(seq - 1) as { cursor: Cursor } | undefined)?.cursor ?? null)
    if (prev === null) return null
    const [e] = await log.readFeed(prev, { limit: 1 })
    return e ? e.update : null
  }
}

/** A chunk's bytes out of one logged update, without integrating it anywhere. */
function chunkIn(update: Uint8Array | null, key: string): Uint8Array | null {
  if (!update) return null
  for (const s of Y.decodeUpdate(update).structs) {
    if (s instanceof Y.Item && s.parentSub === key && s.content instanceof Y.ContentBinary) return s.content.content
  }
  return null
}
