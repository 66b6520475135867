/**
 * The embedded log's cursors: the global position (dense from 1) as
 * fixed-width hex, so cursors sort as strings; and its room names' rule.
 */
import { type Cursor, START } from './event-log.js'

const CURSOR_WIDTH = 12

export function seqToCursor(seq: number): Cursor {
  return seq === 0 ? START : seq.toString(16).padStart(CURSOR_WIDTH, '0')
}

export function cursorToSeq(cursor: Cursor): number {
  if (cursor === START) return 0
  if (!/^[0-9a-f]+$/.test(cursor)) throw new Error(`not a cursor of the embedded log: ${JSON.stringify(cursor)}`)
  return parseInt(cursor, 16)
}

export function checkRoomName(room: unknown): string {
  if (typeof room !== 'string' || room.length === 0 || room.length > 256) {
    throw new Error(`room must be a string of 1..256 characters, got ${JSON.stringify(room)}`)
  }
  return room
}
