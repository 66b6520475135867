/**
 * The Yjs side of the projector: applies log entries to one Y.Doc per room and
 * turns what each entry changed into rows (a RowBatch). It touches no
 * database, so it can run in a worker thread while the caller writes the
 * previous batch. What it needs from outside (a room's doc as of a cursor, the
 * last projected state of a room's objects) comes through a RoomSource.
 */
import * as Y from 'yjs'
import { type ObjectState, type Problem, type SceneChanges, SceneDoc, collectChanges, readObject } from '../crdt/index.js'
import type { Cursor, LogEntry } from '../log/event-log.js'
import { LOG_ORIGIN, applyLogged } from './load-room.js'
import { ContentExtractor, emptyContentBatch } from './content-rows.js'
import { refColumns, xformColumns } from './object-rows.js'
import type { CurrentRow, HistoryRow, RowBatch } from './row-batch.js'
import { type SnapshotPolicy, type SnapshotTail, snapshotDue } from './snapshot-policy.js'

export interface RoomSource {
  /** The room's doc as of `upTo` (inclusive): a state update (null when empty), its last cursor, entries (and their bytes) since its snapshot, the snapshot's size. */
  loadRoom(room: string, upTo: Cursor): Promise<LoadedState>
  /** The last projected state of each object of the room. */
  loadStates(room: string): Promise<Map<string, ObjectState>>
}

/** See ChangeExtractor.evict. */
export const EVICT_IDLE_MS = 10_000

export interface LoadedState {
  state: Uint8Array | null
  cursor: Cursor
  tail: number
  tailBytes: number
  snapshotBytes: number
}

interface RoomState {
  room: string
  scene: SceneDoc
  states: Map<string, ObjectState>
  changes: SceneChanges | null
  /** Data blocks, collections, scene settings, geometry chunks. */
  content: ContentExtractor
  sinceSnapshot: SnapshotTail
  lastCursor: Cursor
  /** The extraction that last wrote to the room, and when (for eviction). */
  lastBatch: number
  lastUsed: number
  /** Inside a run's transaction: changes are read per entry, not after the transaction. */
  inRun: boolean
}

/** The doc's state vector as a Map (what a Yjs transaction holds as its before state). */
function stateVector(doc: Y.Doc): Map<number, number> {
  const sv = new Map<number, number>()
  for (const client of doc.store.clients.keys()) sv.set(client, Y.getState(doc.store, client))
  return sv
}

/** JSON for the rejected table: bounded, and never throws on odd values. */
export function valueText(v: unknown): string {
  let s: string
  try {
    s =
      JSON.stringify(v, (_k, x: unknown) => {
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

function historyRow(room: string, s: ObjectState, seq: number, deleted: boolean): HistoryRow {
  return [room, s.id, seq, deleted ? 1 : 0, s.name, s.type, s.parent, s.visible ? 1 : 0, ...xformColumns(s.xform), ...refColumns(s)]
}

export class ChangeExtractor {
  private readonly rooms = new Map<string, RoomState>()
  /** Cursor of the last entry extracted: rooms first seen are loaded as of it. */
  private position: Cursor
  private batches = 0

  constructor(
    private readonly source: RoomSource,
    start: Cursor,
    private readonly snapshots: SnapshotPolicy,
    /** Room docs kept in memory; idle ones beyond this are dropped and reloaded when written again. */
    private readonly maxRoomDocs = 32,
    /** One Yjs transaction per run of a room's entries (false: one per entry; same rows, for comparison). */
    private readonly batchRuns = true,
    /** How long a room must go unwritten before its doc may be dropped. */
    private readonly evictIdleMs = EVICT_IDLE_MS,
  ) {
    this.position = start
  }

  /** Room docs held now. */
  get roomDocs(): number {
    return this.rooms.size
  }

  /** Applies `entries` (the next ones of the feed, the first at position `firstSeq`) and returns their rows. */
  async extract(entries: LogEntry[], firstSeq: number): Promise<RowBatch> {
    // Loading reads outside; the loop below runs without awaiting.
    for (const e of entries) if (!this.rooms.has(e.room)) this.rooms.set(e.room, await this.load(e.room))
    const batchNo = ++this.batches
    const now = performance.now()
    const batch: RowBatch = { firstSeq, cursor: entries[entries.length - 1]!.cursor, events: [], history: [], bones: [], current: [], rejected: [], snapshots: [], content: emptyContentBatch() }
    const dirty = new Map<RoomState, Map<string, number>>()
    let seq = firstSeq - 1
    const one = (room: RoomState, entry: LogEntry, tr: Y.Transaction | null) => {
      seq++
      room.changes = null
      let failure: Error | null = null
      applyLogged(room.scene.doc, entry.update, (e) => (failure = e))
      if (tr) {
        // This entry's changes only: the run's transaction goes on.
        room.changes = collectChanges(tr, room.scene.objects)
        room.content.observe(tr)
        tr.changed.clear()
        tr.changedParentTypes.clear()
        tr.beforeState = stateVector(room.scene.doc)
      }
      room.lastCursor = entry.cursor
      room.lastBatch = batchNo
      room.lastUsed = now
      room.sinceSnapshot.entries++
      room.sinceSnapshot.bytes += entry.update.length
      batch.events.push([entry.room, entry.cursor, entry.time, entry.origin.client, entry.origin.user, entry.update.length])
      if (room.changes) this.changes(batch, room, seq, room.changes, dirty)
      room.content.extract(seq, batch.content, batch.rejected)
      if (failure) batch.rejected.push([seq, entry.room, '', '', null, 'null', `Yjs could not apply the update: ${(failure as Error).message}`])
    }
    for (let i = 0; i < entries.length; ) {
      const room = this.rooms.get(entries[i]!.room)!
      let j = i + 1
      while (j < entries.length && entries[j]!.room === room.room) j++
      if (!this.batchRuns) {
        for (; i < j; i++) one(room, entries[i]!, null)
        continue
      }
      // A run of one room's entries in ONE Yjs transaction: a transaction's fixed
      // cost (state vectors, cleanup, merging, events) is a large part of
      // applying a small update (the run takes 0.75-0.8 of the CPU time of one
      // transaction per entry on the core bench's workload).
      // Each entry's changes are still read right after it is applied; the run
      // starts its transaction's "before" state anew per entry (so objects made
      // earlier in the run count as existing) and restores it at the end, so
      // the structs of the whole run are merged as one transaction would.
      room.inRun = true
      room.scene.doc.transact((tr) => {
        const before = tr.beforeState
        try {
          for (; i < j; i++) one(room, entries[i]!, tr)
        } finally {
          tr.beforeState = before
          tr.changed.clear()
          tr.changedParentTypes.clear()
        }
      }, LOG_ORIGIN)
      room.inRun = false
    }
    // The current-state tables need only each object's last state of the batch.
    for (const [room, ids] of dirty) {
      for (const [id, changedAt] of ids) {
        const s = room.states.get(id)
        const row: CurrentRow = s ? [room.room, id, changedAt, s.name, s.type, s.parent, s.visible ? 1 : 0, ...xformColumns(s.xform), ...refColumns(s)] : [room.room, id, changedAt]
        batch.current.push(row)
      }
    }
    this.position = batch.cursor
    if (this.snapshots.every > 0) {
      for (const room of this.rooms.values()) {
        if (!snapshotDue(this.snapshots, room.sinceSnapshot)) continue
        const state = Y.encodeStateAsUpdate(room.scene.doc)
        batch.snapshots.push({ room: room.room, cursor: room.lastCursor, state })
        room.sinceSnapshot = { entries: 0, bytes: 0, snapshotBytes: state.length }
      }
    }
    this.evict(batchNo)
    return batch
  }

  /**
   * Drops the docs of idle rooms beyond the limit. A reloaded room takes its
   * last states from the current-state tables, so only rooms untouched by the
   * last two extractions go: with the worker, extraction runs one batch ahead
   * of the commit, and older batches are committed by the time a room reloads.
   * And only rooms idle for `evictIdleMs`: with more rooms written each second
   * than the limit (100 rooms at 30 updates/s in `bench rooms`), dropping by
   * batches alone reloaded a room (its snapshot, tail and states, on the
   * server's thread) for nearly every entry.
   */
  private evict(batchNo: number): void {
    if (this.rooms.size <= this.maxRoomDocs) return
    const now = performance.now()
    const idle = [...this.rooms.values()].filter((r) => r.lastBatch <= batchNo - 2 && now - r.lastUsed >= this.evictIdleMs).sort((a, b) => a.lastBatch - b.lastBatch)
    for (const r of idle) {
      if (this.rooms.size <= this.maxRoomDocs) return
      this.rooms.delete(r.room)
      r.scene.doc.destroy()
    }
  }

  private async load(name: string): Promise<RoomState> {
    const loaded = await this.source.loadRoom(name, this.position)
    const doc = new Y.Doc()
    if (loaded.state) applyLogged(doc, loaded.state)
    const scene = new SceneDoc(doc)
    const room: RoomState = { room: name, scene, states: await this.source.loadStates(name), changes: null, content: new ContentExtractor(name, scene), sinceSnapshot: { entries: loaded.tail, bytes: loaded.tailBytes, snapshotBytes: loaded.snapshotBytes }, lastCursor: loaded.cursor, lastBatch: this.batches, lastUsed: performance.now(), inRun: false }
    doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (room.inRun) return
      room.changes = collectChanges(tr, scene.objects)
      room.content.observe(tr)
    })
    return room
  }

  private changes(batch: RowBatch, room: RoomState, seq: number, changes: SceneChanges, dirty: Map<RoomState, Map<string, number>>): void {
    const objects = room.scene.objects
    let ids = dirty.get(room)
    if (!ids) dirty.set(room, (ids = new Map()))
    const problems: Problem[] = []
    for (const [id, change] of changes) {
      const prev = room.states.get(id)
      const map = objects.get(id) as unknown
      if (!(map instanceof Y.Map)) {
        if (map !== undefined) problems.push({ objectId: id, key: '', value: map, reason: 'object value must be a Y.Map' })
        if (prev) {
          batch.history.push(historyRow(room.room, prev, seq, true))
          for (const bone of prev.pose.keys()) batch.bones.push([room.room, id, bone, seq, ...xformColumns(null)])
          room.states.delete(id)
          ids.set(id, seq)
        }
        continue
      }
      const state = readObject(id, map, prev, change, problems)
      const ownFields = change.keys === 'all' || [...change.keys].some((k) => k !== 'pose')
      if (ownFields || !prev) {
        batch.history.push(historyRow(room.room, state, seq, false))
        ids.set(id, seq)
      }
      const bones = change.bones === 'all' ? new Set([...(prev?.pose.keys() ?? []), ...state.pose.keys()]) : change.bones
      for (const bone of bones) {
        const now = state.pose.get(bone)
        const before = prev?.pose.get(bone)
        if (change.bones === 'all' && now === before) continue
        if (now || before) batch.bones.push([room.room, id, bone, seq, ...xformColumns(now ?? null)])
      }
      room.states.set(id, state)
    }
    for (const p of problems) batch.rejected.push([seq, room.room, p.objectId, p.key, p.bone ?? null, valueText(p.value), p.reason])
  }
}
