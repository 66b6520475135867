/**
 * Loading a room's doc from the log: the latest snapshot at or before the
 * wanted position, then the room's entries after it (DESIGN "loading = latest
 * snapshot + tail"), so loading does not replay all of history.
 */
import * as Y from 'yjs'
import { type Cursor, type EventLog, START } from '../log/event-log.js'

export const LOG_ORIGIN = Symbol('scenesync-log')

export interface LoadedRoom {
  doc: Y.Doc
  /** Cursor of the last entry applied (START for an empty room). */
  cursor: Cursor
  /** Entries replayed after the snapshot. */
  tail: number
  /** Their update bytes. */
  tailBytes: number
  /** Size of the snapshot it started from (0: none). */
  snapshotBytes: number
}

/**
 * Applies a logged update. Every logged update passed the format check, but
 * should Yjs still throw on one, replaying must go on past it the same way
 * every time (the projector records it as rejected), not stop the room.
 */
export function applyLogged(doc: Y.Doc, update: Uint8Array, onError?: (e: Error) => void): void {
  try {
    Y.applyUpdate(doc, update, LOG_ORIGIN)
  } catch (e) {
    onError?.(e as Error)
  }
}

/** Loads `room` as of `upTo` (inclusive; default: the log's head), one transaction per update as the projector applies them. */
export async function loadRoom(
  log: EventLog,
  room: string,
  upTo?: Cursor,
  pageSize = 2000,
  onApplyError?: (cursor: Cursor, error: Error) => void,
): Promise<LoadedRoom> {
  const doc = new Y.Doc()
  const snap = await log.getSnapshot(room, upTo)
  let cursor = START
  if (snap) {
    Y.applyUpdate(doc, snap.state, LOG_ORIGIN)
    cursor = snap.cursor
  }
  let tail = 0
  let tailBytes = 0
  for (;;) {
    const page = await log.readRoom(room, cursor, { limit: pageSize })
    if (page.length === 0) break
    let done = false
    for (const e of page) {
      if (upTo !== undefined && e.cursor > upTo) {
        done = true
        break
      }
      applyLogged(doc, e.update, onApplyError && ((err) => onApplyError(e.cursor, err)))
      cursor = e.cursor
      tail++
      tailBytes += e.update.length
    }
    if (done) break
  }
  return { doc, cursor, tail, tailBytes, snapshotBytes: snap?.state.length ?? 0 }
}
