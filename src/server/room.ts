/**
 * One room: its Y.Doc (always exactly the log's content for the room, never
 * ahead of it), presence, and connections.
 *
 * `[S2]` The doc is loaded from the latest snapshot plus the log tail before
 * any sync reply: connections wait on `ready`.
 * `[S1]` Content is appended to the log first; only after the append resolves
 * is it applied to the doc and broadcast to every connection, the sender
 * included (its acknowledgement). A chain keeps applies in append order.
 *
 * With a shared store (FoundationDB, several servers), the room also tails
 * the log and applies and broadcasts what other processes appended.
 */
import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import { type Cursor, type EventLog, type Origin, START } from '../log/event-log.js'
import type { Logger } from '../logger.js'
import { applyLogged, loadRoom } from '../projection/load-room.js'
import { InvalidUpdateError } from '../log/errors.js'
import { ClockHorizon, integrationProblem } from './integration-check.js'
import type { Metrics } from './metrics.js'
import { awarenessMessage, updateMessage } from './wire.js'

/** What a room needs of a connection. */
export interface RoomPeer {
  send(frame: Uint8Array): void
}

export interface RoomOptions {
  log: EventLog
  metrics: Metrics
  logger: Logger
  /** Apply and broadcast entries other processes append (shared stores). */
  tailForeign: boolean
  /** Told of every append's outcome: null when it was stored, else the error. */
  onAppend?: (error: unknown) => void
}

export const REMOTE_ORIGIN = Symbol('scenesync-room')

export class Room {
  readonly doc = new Y.Doc()
  readonly awareness: awarenessProtocol.Awareness
  /** Connections in the room's doc: they receive broadcasts. */
  readonly peers = new Set<RoomPeer>()
  readonly ready: Promise<void>
  /** Every connection of the room, those waiting for the load included: what unload counts. */
  private readonly members = new Set<RoomPeer>()
  private chain: Promise<void> = Promise.resolve()
  private inFlight = 0
  /** Submissions waiting for their integration check (and those queued behind them). */
  private checking = 0
  private readonly horizon = new ClockHorizon()
  private tailCursor: Cursor = START
  /** Own entries applied ahead of the tail (shared stores only). */
  private readonly applied = new Set<Cursor>()
  private tailing: Promise<void> | null = null
  private tailAgain = false
  /** The latest cursor heard of; a retry after a failed tail read reads up to it. */
  private heardCursor: Cursor = START
  private tailRetry: NodeJS.Timeout | null = null
  private tailBackoffMs = 0
  private closed = false

  constructor(
    readonly name: string,
    private readonly opts: RoomOptions,
  ) {
    this.awareness = new awarenessProtocol.Awareness(this.doc)
    // The server holds no presence of its own.
    this.awareness.setLocalState(null)
    this.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
      const changed = added.concat(updated, removed)
      // To everyone, the sender too: the echo is what keeps a v3 client's socket alive.
      this.broadcast(awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed)))
    })
    this.ready = this.load()
  }

  private async load(): Promise<void> {
    const loaded = await loadRoom(this.opts.log, this.name, undefined, 2000, (cursor, e) =>
      this.opts.logger.error('a logged update could not be applied while loading', { room: this.name, cursor, error: e.message }),
    )
    if (this.closed) {
      loaded.doc.destroy()
      throw new Error(`room ${this.name} was closed while it loaded`)
    }
    Y.applyUpdate(this.doc, Y.encodeStateAsUpdate(loaded.doc), REMOTE_ORIGIN)
    loaded.doc.destroy()
    this.tailCursor = loaded.cursor
  }

  attach(c: RoomPeer): void {
    this.members.add(c)
  }

  detach(c: RoomPeer): void {
    this.members.delete(c)
  }

  /** Connections of the room, loaded or still waiting for the load. */
  get attached(): number {
    return this.members.size
  }

  /** Updates not yet durable and applied. */
  get pending(): number {
    return this.inFlight
  }

  /**
   * `[S1]`: appends the updates, then applies and broadcasts them. Resolves once
   * broadcast; rejects (appending nothing) when the log refuses them.
   */
  submit(updates: Uint8Array[], origin: Origin): Promise<void> {
    const started = performance.now()
    let overlap = false
    for (const u of updates) if (this.horizon.overlaps(this.doc, u)) overlap = true
    // An update reaching below the clocks the room holds is tried first (integration-check.ts);
    // until it is appended, later ones wait behind it, so the log keeps the order they came in.
    const checked = overlap || this.checking > 0
    let appended = checked ? null : this.opts.log.append(this.name, updates.map((update) => ({ update, origin })))
    this.inFlight += updates.length
    if (checked) this.checking++
    const done = this.chain.then(async () => {
      try {
        if (appended === null) {
          const bad = overlap ? integrationProblem(this.doc, updates) : null
          if (bad) throw new InvalidUpdateError(bad.index, bad.reason)
          appended = this.opts.log.append(this.name, updates.map((update) => ({ update, origin })))
        }
        let cursors: string[]
        try {
          cursors = await appended
        } catch (e) {
          this.opts.onAppend?.(e)
          throw e
        }
        this.opts.onAppend?.(null)
        this.opts.metrics.observeAppend((performance.now() - started) / 1000)
        this.opts.metrics.updatesAppended += updates.length
        updates.forEach((u, i) => {
          this.opts.metrics.bytesAppended += u.length
          this.applyOwn(cursors[i]!, u)
        })
      } finally {
        this.inFlight -= updates.length
        if (checked) this.checking--
      }
    })
    // The chain goes on whether or not this append failed; the caller hears of failure.
    this.chain = done.catch(() => {})
    return done
  }

  private applyOwn(cursor: Cursor, update: Uint8Array): void {
    if (this.opts.tailForeign) {
      // The tail may have applied it already; otherwise it skips it later.
      if (cursor <= this.tailCursor) return
      this.applied.add(cursor)
    }
    this.applyAndBroadcast(cursor, update)
  }

  private applyAndBroadcast(cursor: Cursor, update: Uint8Array): void {
    applyLogged(this.doc, update, (e) => {
      this.opts.metrics.reject('apply_failed')
      this.opts.logger.error('a logged update could not be applied', { room: this.name, cursor, error: e.message })
    })
    this.broadcast(updateMessage(update))
  }

  /** Hears that the log has entries up to `cursor` for this room (shared stores). */
  heard(cursor: Cursor): void {
    if (!this.opts.tailForeign || this.closed) return
    if (cursor > this.heardCursor) this.heardCursor = cursor
    if (this.heardCursor <= this.tailCursor || this.tailRetry) return
    if (this.tailing) {
      this.tailAgain = true
      return
    }
    this.tailing = this.tail().finally(() => (this.tailing = null))
  }

  private async tail(): Promise<void> {
    try {
      await this.ready
      do {
        this.tailAgain = false
        for (;;) {
          const page = await this.opts.log.readRoom(this.name, this.tailCursor, { limit: 1000 })
          if (page.length === 0 || this.closed) break
          for (const e of page) {
            if (!this.applied.delete(e.cursor)) this.applyAndBroadcast(e.cursor, e.update)
            this.tailCursor = e.cursor
          }
        }
      } while (this.tailAgain && !this.closed)
      this.tailBackoffMs = 0
    } catch (e) {
      if (this.closed) return
      // Nothing else may come to wake the tail (no further appends): retry on a timer.
      this.tailBackoffMs = Math.min(5000, Math.max(100, this.tailBackoffMs * 2))
      this.opts.logger.error('tailing the log failed; retrying', { room: this.name, error: (e as Error).message, retryInMs: this.tailBackoffMs })
      this.tailRetry = setTimeout(() => {
        this.tailRetry = null
        this.heard(this.heardCursor)
      }, this.tailBackoffMs)
      this.tailRetry.unref()
    }
  }

  broadcast(frame: Uint8Array): void {
    for (const p of this.peers) p.send(frame)
  }

  /** Resolves when every update submitted so far is applied (or failed). */
  settled(): Promise<void> {
    return this.chain
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.tailRetry) clearTimeout(this.tailRetry)
    await this.chain
    await this.tailing
    this.awareness.destroy()
    this.doc.destroy()
  }
}
