/**
 * The projection's tables (documented in the README). Transforms are real
 * columns: rot_w is the quaternion's w or the axis-angle's angle and is NULL
 * for Euler modes, whose angles are rot_x, rot_y, rot_z in radians.
 *
 * The positions (`seq`) are the 1-based positions of entries in the log's
 * global feed, in the order the projector consumed them.
 */
import { CONTENT_SCHEMA_SQL } from './content-schema.js'
import type { SqlDatabase } from './sql.js'

/** 2: objects and history gained data, materials, collections; the content tables (content-schema.ts). */
export const SCHEMA_VERSION = 2

const XFORM_COLUMNS = `rot_mode TEXT, loc_x REAL, loc_y REAL, loc_z REAL,
  rot_w REAL, rot_x REAL, rot_y REAL, rot_z REAL, scale_x REAL, scale_y REAL, scale_z REAL`

export const XFORM_COLUMN_NAMES = ['rot_mode', 'loc_x', 'loc_y', 'loc_z', 'rot_w', 'rot_x', 'rot_y', 'rot_z', 'scale_x', 'scale_y', 'scale_z'] as const
/** An object's links: its data block's id, and JSON arrays of material ids per slot and of collection ids. */
export const REF_COLUMN_NAMES = ['data', 'materials', 'collections'] as const
export const OBJECT_COLUMN_NAMES = ['name', 'type', 'parent', 'visible', ...XFORM_COLUMN_NAMES, ...REF_COLUMN_NAMES] as const

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS projector_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  schema_version INTEGER NOT NULL,
  cursor TEXT NOT NULL,      -- the log cursor of the last entry projected
  seq INTEGER NOT NULL       -- how many entries have been projected
);
CREATE TABLE IF NOT EXISTS rooms (room_id INTEGER PRIMARY KEY, room TEXT NOT NULL UNIQUE);
-- One row per log entry.
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  room_id INTEGER NOT NULL,
  cursor TEXT NOT NULL,
  time INTEGER NOT NULL,     -- server wall-clock ms; never decreases with seq (so no index: time → seq is a binary search)
  client INTEGER NOT NULL,   -- Yjs client id of the sender
  user TEXT NOT NULL,
  bytes INTEGER NOT NULL
);
-- Every object a room ever had, with a small integer key used by the history tables.
CREATE TABLE IF NOT EXISTS object_keys (
  obj INTEGER PRIMARY KEY,
  room_id INTEGER NOT NULL,
  object_id TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  UNIQUE (room_id, object_id)
);
-- The live scene: one row per object that exists now.
CREATE TABLE IF NOT EXISTS objects (
  obj INTEGER PRIMARY KEY,
  room TEXT NOT NULL,
  object_id TEXT NOT NULL,
  name TEXT, type TEXT, parent TEXT, visible INTEGER NOT NULL,
  ${XFORM_COLUMNS},
  seq INTEGER NOT NULL,      -- position of the last change
  data TEXT, materials TEXT, collections TEXT
);
CREATE INDEX IF NOT EXISTS objects_by_room ON objects (room, object_id);
CREATE TABLE IF NOT EXISTS bones (
  obj INTEGER NOT NULL,
  bone TEXT NOT NULL,
  ${XFORM_COLUMNS},
  seq INTEGER NOT NULL,
  PRIMARY KEY (obj, bone)
) WITHOUT ROWID;
-- One row per changed object per log entry: every value after the change.
CREATE TABLE IF NOT EXISTS history (
  obj INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  name TEXT, type TEXT, parent TEXT, visible INTEGER NOT NULL,
  ${XFORM_COLUMNS},
  data TEXT, materials TEXT, collections TEXT,
  PRIMARY KEY (obj, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bone_keys (obj INTEGER NOT NULL, bone TEXT NOT NULL, PRIMARY KEY (obj, bone)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bone_history (
  obj INTEGER NOT NULL,
  bone TEXT NOT NULL,
  seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  ${XFORM_COLUMNS},
  PRIMARY KEY (obj, bone, seq)
) WITHOUT ROWID;
-- Values a valid update carried that fail the scene model ([P4]).
CREATE TABLE IF NOT EXISTS rejected (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  room_id INTEGER NOT NULL,
  object_id TEXT NOT NULL,
  key TEXT NOT NULL,
  bone TEXT,
  value TEXT,
  reason TEXT NOT NULL
);

-- Views for plain SQL: names instead of keys, time and origin joined in.
CREATE VIEW IF NOT EXISTS object_history AS
  SELECT r.room, k.object_id, h.seq, e.time, e.user, e.client, h.deleted,
         h.name, h.type, h.parent, h.visible, h.rot_mode, h.loc_x, h.loc_y, h.loc_z,
         h.rot_w, h.rot_x, h.rot_y, h.rot_z, h.scale_x, h.scale_y, h.scale_z, h.data, h.materials, h.collections
  FROM history h JOIN object_keys k ON k.obj = h.obj JOIN rooms r ON r.room_id = k.room_id
  JOIN events e ON e.seq = h.seq;
CREATE VIEW IF NOT EXISTS pose_history AS
  SELECT r.room, k.object_id, b.bone, b.seq, e.time, e.user, e.client, b.deleted,
         b.rot_mode, b.loc_x, b.loc_y, b.loc_z, b.rot_w, b.rot_x, b.rot_y, b.rot_z, b.scale_x, b.scale_y, b.scale_z
  FROM bone_history b JOIN object_keys k ON k.obj = b.obj JOIN rooms r ON r.room_id = k.room_id
  JOIN events e ON e.seq = b.seq;
CREATE VIEW IF NOT EXISTS event_log AS
  SELECT e.seq, r.room, e.cursor, e.time, e.user, e.client, e.bytes FROM events e JOIN rooms r ON r.room_id = e.room_id;
`

export function createSchema(db: SqlDatabase): void {
  db.exec(SCHEMA_SQL)
  db.exec(CONTENT_SCHEMA_SQL)
  const row = db.prepare('SELECT schema_version FROM projector_state WHERE id = 1').get() as { schema_version: number } | undefined
  if (!row) {
    db.prepare("INSERT INTO projector_state (id, schema_version, cursor, seq) VALUES (1, ?, '', 0)").run(SCHEMA_VERSION)
  } else if (row.schema_version !== SCHEMA_VERSION) {
    throw new Error(`projection schema version ${row.schema_version} is not ${SCHEMA_VERSION}: run \`scenesync project --rebuild\``)
  }
}
