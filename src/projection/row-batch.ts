/**
 * What one batch of log entries changes in the projection, as plain data: the
 * extractor (Yjs side) produces it, the sink (SQL side) writes it. Plain
 * arrays, so a batch crosses a worker-thread boundary by structured clone.
 * Objects and rooms are named by their ids; the sink maps them to keys.
 */
import type { Cursor } from '../log/event-log.js'
import type { ContentBatch } from './content-rows.js'
import type { RefColumns, XformColumns } from './object-rows.js'

/** [room, cursor, time, client, user, bytes], in feed order; the first has position firstSeq. */
export type EventRow = [string, Cursor, number, number, string, number]
/** [room, objectId, seq, deleted, name, type, parent, visible, ...xform, data, materials, collections] */
export type HistoryRow = [string, string, number, 0 | 1, string | null, string | null, string | null, 0 | 1, ...XformColumns, ...RefColumns]
/** [room, objectId, bone, seq, ...xform]; an all-null transform means the bone was removed. */
export type BoneRow = [string, string, string, number, ...XformColumns]
/** [room, objectId, seq of its last change, name, type, parent, visible, ...xform, data, materials, collections] or [room, objectId, seq] when deleted. */
export type CurrentRow = [string, string, number, string | null, string | null, string | null, 0 | 1, ...XformColumns, ...RefColumns] | [string, string, number]
/** [seq, room, objectId, key, bone, value, reason] */
export type RejectedRow = [number, string, string, string, string | null, string, string]

export interface SnapshotOut {
  room: string
  cursor: Cursor
  state: Uint8Array
}

export interface RowBatch {
  firstSeq: number
  /** Cursor of the batch's last entry: the projector's cursor once committed. */
  cursor: Cursor
  events: EventRow[]
  history: HistoryRow[]
  bones: BoneRow[]
  current: CurrentRow[]
  rejected: RejectedRow[]
  /** Snapshots of rooms as of their last entry in this batch, to store in the log. */
  snapshots: SnapshotOut[]
  /** Data blocks, geometry chunks, collections, scene settings (content-rows.ts). */
  content: ContentBatch
}

/**
 * A batch the extractor's thread committed itself, through its own connection
 * to the projection file (rows and cursor in one transaction, `[P2]`): only
 * what the projector still does on its side crosses back.
 */
export interface WrittenBatch {
  written: true
  firstSeq: number
  /** Log entries the batch covered. */
  entries: number
  cursor: Cursor
  snapshots: SnapshotOut[]
}

/** Entries a batch covers, written or not. */
export function batchEntries(b: RowBatch | WrittenBatch): number {
  return 'written' in b ? b.entries : b.events.length
}
