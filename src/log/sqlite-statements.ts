/**
 * The embedded log's tables and prepared statements (see sqlite-event-log.ts):
 * rooms and origins by small integer ids, segments (one room's entries of one
 * group commit, keyed by the first position), snapshots.
 */
import type Database from 'better-sqlite3'

export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS room (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
  CREATE TABLE IF NOT EXISTS origin (id INTEGER PRIMARY KEY, client INTEGER NOT NULL, user TEXT NOT NULL, UNIQUE (client, user));
  CREATE TABLE IF NOT EXISTS segment (
    first_seq INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    room_id INTEGER NOT NULL REFERENCES room (id),
    time INTEGER NOT NULL,
    body BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS segment_by_room ON segment (room_id, last_seq);
  CREATE TABLE IF NOT EXISTS snapshot (
    room_id INTEGER NOT NULL REFERENCES room (id),
    seq INTEGER NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (room_id, seq)
  );
`

export interface SegmentRow {
  first_seq: number
  last_seq: number
  room_id: number
  time: number
  body: Buffer
}

const SQL = {
  lastSegment: 'SELECT last_seq, time FROM segment ORDER BY first_seq DESC LIMIT 1',
  roomHead: 'SELECT last_seq FROM segment WHERE room_id = ? AND last_seq <= ? ORDER BY last_seq DESC LIMIT 1',
  insertSegment: 'INSERT INTO segment (first_seq, last_seq, room_id, time, body) VALUES (?, ?, ?, ?, ?)',
  insertRoom: 'INSERT INTO room (name) VALUES (?)',
  findOrigin: 'SELECT id FROM origin WHERE client = ? AND user = ?',
  insertOrigin: 'INSERT INTO origin (client, user) VALUES (?, ?)',
  getOrigin: 'SELECT client, user FROM origin WHERE id = ?',
  feed: `SELECT first_seq, last_seq, room_id, time, body FROM segment
      WHERE first_seq >= coalesce((SELECT first_seq FROM segment WHERE first_seq <= @a ORDER BY first_seq DESC LIMIT 1), 0)
      ORDER BY first_seq LIMIT @b + 1`, // +1: the first segment may hold only entries at or before the cursor
  roomRead: `SELECT first_seq, last_seq, room_id, time, body FROM segment
      WHERE room_id = @a AND last_seq > @b ORDER BY last_seq LIMIT @c`,
  insertSnapshot: 'INSERT OR IGNORE INTO snapshot (room_id, seq, state) VALUES (?, ?, ?)',
  pruneSnapshots: `DELETE FROM snapshot WHERE room_id = @a AND seq < (
      SELECT seq FROM snapshot WHERE room_id = @a ORDER BY seq DESC LIMIT 1 OFFSET @b)`,
  getSnapshot: 'SELECT seq, state FROM snapshot WHERE room_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1',
} as const

export type Statements = Record<keyof typeof SQL, Database.Statement>

export function prepareStatements(db: Database.Database): Statements {
  return Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements
}
