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
}

/** Loads `room` as of `upTo` (inclusive; default: the log's head). */
export async function loadRoom(log: EventLog, room: string, upTo?: Cursor, pageSize = 2000): Promise<LoadedRoom> {
  const doc = new Y.Doc()
  const snap = await log.getSnapshot(room, upTo)
  let cursor = START
  if (snap) {
    Y.applyUpdate(doc, snap.state, LOG_ORIGIN)
    cursor = snap.cursor
  }
  let tail = 0
  for (;;) {
    const page = await log.readRoom(room, cursor, { limit: pageSize })
    if (page.length === 0) break
    let done = false
    // One transaction per page: replaying is several times faster than one per update.
    doc.transact(() => {
      for (const e of page) {
        if (upTo !== undefined && e.cursor > upTo) {
          done = true
          break
        }
        Y.applyUpdate(doc, e.update, LOG_ORIGIN)
        cursor = e.cursor
        tail++
      }
    }, LOG_ORIGIN)
    if (done) break
  }
  return { doc, cursor, tail }
}
