/**
 * The event log: the durable, totally ordered record of every Yjs update
 * (DESIGN "Event log"). It knows rooms and bytes, nothing of Yjs beyond the
 * update format it checks on append (`[L4]`).
 *
 * Cursors are opaque strings; within one log they sort, as plain strings, in
 * commit order (`[L2]`). `START` sorts before every cursor.
 */

export type Cursor = string
export const START: Cursor = ''

/** Who sent an update: the Yjs client id and the user's display name. */
export interface Origin {
  client: number
  user: string
}

export interface AppendInput {
  update: Uint8Array
  origin: Origin
}

export interface LogEntry {
  room: string
  cursor: Cursor
  /** Server wall-clock time of the append, ms since the epoch; never decreases along the feed. */
  time: number
  origin: Origin
  update: Uint8Array
}

export interface Snapshot {
  room: string
  /** The state includes every entry of the room up to and including this cursor. */
  cursor: Cursor
  /** `Y.encodeStateAsUpdate` of the room's doc at `cursor`. */
  state: Uint8Array
}

export interface ReadOptions {
  /** Most entries to return; implementations may return fewer (read on until empty). */
  limit?: number
}

/** Tells a subscriber that entries up to `cursor` exist (in `room`). */
export type LogListener = (room: string, cursor: Cursor) => void

export interface EventLog {
  /**
   * Appends updates to a room, in order, and resolves with their cursors once
   * they are durable (`[L1]`). Rejects with `InvalidUpdateError` — appending
   * nothing of the batch — when any update is not a valid Yjs update (`[L4]`).
   * Appends that arrive together are committed together.
   */
  append(room: string, inputs: readonly AppendInput[]): Promise<Cursor[]>
  /** Entries of one room after `after` (`START` for all), in order. */
  readRoom(room: string, after: Cursor, opts?: ReadOptions): Promise<LogEntry[]>
  /** Entries of every room after `after`, in commit order: the global feed. */
  readFeed(after: Cursor, opts?: ReadOptions): Promise<LogEntry[]>
  /** The cursor of the last entry (of `room`, or of the whole feed); `START` when empty. */
  head(room?: string): Promise<Cursor>
  /** Calls `listener` after new entries become readable, including other processes' where the store is shared. */
  subscribe(listener: LogListener): () => void
  /** Stores a snapshot; a later one never replaces an earlier one in place. */
  putSnapshot(snapshot: Snapshot): Promise<void>
  /** The latest snapshot of a room with cursor <= `atOrBefore` (default: the latest). */
  getSnapshot(room: string, atOrBefore?: Cursor): Promise<Snapshot | null>
  close(): Promise<void>
}
