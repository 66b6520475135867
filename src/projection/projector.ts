/**
 * The projector: tails the log's global feed, applies each entry to its room's
 * Y.Doc, and writes what changed as rows. Rows and the cursor commit in one
 * SQLite transaction (`[P2]`), so after a crash anywhere a restart resumes at
 * the committed cursor with no hole and no duplicate row (`[P1]`).
 *
 * In memory it keeps, per room, the doc and the last projected state of each
 * object; after a restart both are rebuilt from what is committed (the doc from
 * the log up to the cursor, the states from the current-state tables), so the
 * in-memory state never runs ahead of the database for long: any failure drops
 * it and it is reloaded.
 */
import * as Y from 'yjs'
import { type ObjectState, type Problem, type SceneChanges, SceneDoc, collectChanges, readObject } from '../crdt/index.js'
import { type Cursor, type EventLog, START } from '../log/event-log.js'
import { applyLogged, loadRoom } from './load-room.js'
import { type ObjectRow, type XformRow, objectFromRow, xformFromRow } from './object-rows.js'
import { RowWriter } from './row-writer.js'
import { createSchema } from './schema.js'
import type { SqlDatabase } from './sql.js'
import { type Logger, silentLogger } from '../logger.js'

/** Where a test may inject a crash: every step of the loop. */
export const CRASH_POINTS = ['before-batch', 'after-read', 'after-load', 'mid-batch', 'after-rows', 'before-commit', 'after-commit', 'after-snapshot'] as const
export type CrashPoint = (typeof CRASH_POINTS)[number]

export interface ProjectorOptions {
  /** Entries read and committed per transaction. */
  batchSize?: number
  /** Store a Yjs snapshot of a room in the log after this many of its entries; 0 = never. */
  snapshotEvery?: number
  logger?: Logger
  /**
   * While following the log, wait this long (ms) after hearing of new entries
   * before projecting, so a busy log is projected in batches rather than a
   * commit per append; it bounds the added projection lag.
   */
  coalesceMs?: number
  /** Test hook: called at each crash point; throwing there simulates a crash. */
  crashHook?: (point: CrashPoint) => void
}

interface RoomState {
  room: string
  roomId: number
  scene: SceneDoc
  states: Map<string, ObjectState>
  changes: SceneChanges | null
  sinceSnapshot: number
  lastCursor: Cursor
}

export class Projector {
  private readonly writer: RowWriter
  private readonly rooms = new Map<string, RoomState>()
  private readonly batchSize: number
  private readonly snapshotEvery: number
  private readonly logger: Logger
  private readonly crash: (p: CrashPoint) => void
  private cursor: Cursor
  private seq: number
  private readonly listeners = new Set<(seq: number, cursor: Cursor) => void>()
  private unsubscribe: (() => void) | null = null
  private running: Promise<void> | null = null
  private again = false
  private stopped = false
  private retryTimer: NodeJS.Timeout | null = null
  private coalesceTimer: NodeJS.Timeout | null = null
  private readonly coalesceMs: number

  constructor(
    private readonly log: EventLog,
    private readonly db: SqlDatabase,
    opts: ProjectorOptions = {},
  ) {
    createSchema(db)
    this.writer = new RowWriter(db)
    this.batchSize = opts.batchSize ?? 2000
    this.snapshotEvery = opts.snapshotEvery ?? 5000
    this.logger = opts.logger ?? silentLogger
    this.crash = opts.crashHook ?? (() => {})
    this.coalesceMs = opts.coalesceMs ?? 5
    const c = this.writer.cursor()
    this.cursor = c.cursor
    this.seq = c.seq
  }

  /** Position and cursor of the last committed entry. */
  position(): { seq: number; cursor: Cursor } {
    return { seq: this.seq, cursor: this.cursor }
  }

  onProjected(listener: (seq: number, cursor: Cursor) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Projects one batch; resolves with the number of entries committed (0 when caught up). */
  async step(): Promise<number> {
    this.crash('before-batch')
    const entries = await this.log.readFeed(this.cursor, { limit: this.batchSize })
    if (entries.length === 0) return 0
    this.crash('after-read')
    try {
      // Loading reads the log (async); the transaction below must not await.
      const rooms = new Map<string, RoomState>()
      for (const e of entries) if (!rooms.has(e.room)) rooms.set(e.room, await this.room(e.room))
      this.crash('after-load')
      let seq = this.seq
      this.db.transaction(() => {
        // The current-state tables need only each object's last state of the batch.
        const dirty = new Map<RoomState, Map<string, number>>()
        for (const entry of entries) {
          const room = rooms.get(entry.room)!
          room.changes = null
          let failure: Error | null = null
          applyLogged(room.scene.doc, entry.update, (e) => (failure = e))
          room.lastCursor = entry.cursor
          room.sinceSnapshot++
          seq++
          this.writer.event(seq, room.roomId, entry.cursor, entry.time, entry.origin.client, entry.origin.user, entry.update.length)
          if (room.changes) this.writeChanges(room, seq, room.changes, dirty)
          if (failure) this.writer.reject(seq, room.roomId, { objectId: '', key: '', value: null, reason: `Yjs could not apply the update: ${(failure as Error).message}` })
          if (seq === this.seq + 1) this.crash('mid-batch')
        }
        for (const [room, ids] of dirty) {
          for (const [id, changedAt] of ids) {
            const obj = this.writer.objKey(room.roomId, id, changedAt)
            const state = room.states.get(id)
            if (state) this.writer.upsertObject(obj, room.room, state, changedAt)
            else this.writer.deleteObject(obj)
          }
        }
        this.crash('after-rows')
        this.writer.setCursor(entries[entries.length - 1]!.cursor, seq)
        this.crash('before-commit')
      })()
      this.seq = seq
      this.cursor = entries[entries.length - 1]!.cursor
    } catch (e) {
      // The docs and states may be ahead of what committed: reload them.
      this.forget()
      throw e
    }
    this.crash('after-commit')
    for (const l of this.listeners) l(this.seq, this.cursor)
    await this.snapshots()
    this.crash('after-snapshot')
    return entries.length
  }

  /** Projects until the feed is exhausted; resolves with the number of entries. */
  async catchUp(onProgress?: (seq: number) => void): Promise<number> {
    let total = 0
    for (;;) {
      const n = await this.step()
      if (n === 0) return total
      total += n
      onProgress?.(this.seq)
    }
  }

  /** Follows the log: projects whenever it hears of new entries. */
  start(): void {
    this.stopped = false
    this.unsubscribe = this.log.subscribe(() => this.soon())
    this.kick()
  }

  private soon(): void {
    if (this.coalesceTimer || this.stopped) return
    this.coalesceTimer = setTimeout(() => {
      this.coalesceTimer = null
      this.kick()
    }, this.coalesceMs)
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    this.unsubscribe = null
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.coalesceTimer) clearTimeout(this.coalesceTimer)
    await this.running
  }

  private kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = (async () => {
      try {
        do {
          this.again = false
          await this.catchUp()
        } while (this.again && !this.stopped)
      } catch (e) {
        this.logger.error('projector step failed; retrying in 1 s', { error: (e as Error).message })
        this.retryTimer = setTimeout(() => this.kick(), 1000)
      } finally {
        this.running = null
      }
    })()
  }

  private forget(): void {
    this.rooms.clear()
    this.writer.resetCaches()
  }

  private writeChanges(room: RoomState, seq: number, changes: SceneChanges, dirty: Map<RoomState, Map<string, number>>): void {
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
          const obj = this.writer.objKey(room.roomId, id, seq)
          this.writer.history(obj, seq, true, prev)
          for (const bone of prev.pose.keys()) this.writer.bone(obj, bone, seq, null)
          room.states.delete(id)
          ids.set(id, seq)
        }
        continue
      }
      const state = readObject(id, map, prev, change, problems)
      const obj = this.writer.objKey(room.roomId, id, seq)
      const ownFields = change.keys === 'all' || [...change.keys].some((k) => k !== 'pose')
      if (ownFields || !prev) {
        this.writer.history(obj, seq, false, state)
        ids.set(id, seq)
      }
      const bones = change.bones === 'all' ? new Set([...(prev?.pose.keys() ?? []), ...state.pose.keys()]) : change.bones
      for (const bone of bones) {
        const now = state.pose.get(bone)
        const before = prev?.pose.get(bone)
        if (change.bones === 'all' && now === before) continue
        if (now) this.writer.bone(obj, bone, seq, now)
        else if (before) this.writer.bone(obj, bone, seq, null)
      }
      room.states.set(id, state)
    }
    for (const p of problems) this.writer.reject(seq, room.roomId, p)
  }

  private async room(name: string): Promise<RoomState> {
    let room = this.rooms.get(name)
    if (room) return room
    // The doc as of the committed cursor: entries after it are applied by the caller.
    const loaded = this.cursor === START ? null : await loadRoom(this.log, name, this.cursor)
    const scene = new SceneDoc(loaded?.doc ?? new Y.Doc())
    const roomId = this.writer.roomId(name)
    room = {
      room: name,
      roomId,
      scene,
      states: this.loadStates(name),
      changes: null,
      sinceSnapshot: loaded?.tail ?? 0,
      lastCursor: loaded?.cursor ?? START,
    }
    const r = room
    scene.doc.on('afterTransaction', (tr: Y.Transaction) => {
      r.changes = collectChanges(tr, scene.objects)
    })
    this.rooms.set(name, room)
    return room
  }

  private loadStates(room: string): Map<string, ObjectState> {
    const states = new Map<string, ObjectState>()
    const rows = this.db.prepare('SELECT * FROM objects WHERE room = ?').all(room) as Array<ObjectRow & { obj: number }>
    const bones = this.db.prepare('SELECT bone, rot_mode, loc_x, loc_y, loc_z, rot_w, rot_x, rot_y, rot_z, scale_x, scale_y, scale_z FROM bones WHERE obj = ?')
    for (const r of rows) {
      const pose = new Map()
      for (const b of bones.all(r.obj) as Array<XformRow & { bone: string }>) {
        const x = xformFromRow(b)
        if (x) pose.set(b.bone, x)
      }
      states.set(r.object_id, objectFromRow(r, pose))
    }
    return states
  }

  private async snapshots(): Promise<void> {
    if (this.snapshotEvery <= 0) return
    for (const room of this.rooms.values()) {
      if (room.sinceSnapshot < this.snapshotEvery) continue
      await this.log.putSnapshot({ room: room.room, cursor: room.lastCursor, state: Y.encodeStateAsUpdate(room.scene.doc) })
      room.sinceSnapshot = 0
    }
  }
}
