/**
 * The projection's tables for scene content (`[D4]`), next to schema.ts's:
 * one row per version of a data block, its live state, where each geometry
 * chunk was written in the log (time travel reads the bytes from there),
 * collections and scene settings over time.
 */
export const CONTENT_SCHEMA_SQL = `
-- Every data block a room ever had, with a small integer key.
CREATE TABLE IF NOT EXISTS data_keys (
  dkey INTEGER PRIMARY KEY,
  room_id INTEGER NOT NULL,
  data_id TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  UNIQUE (room_id, data_id)
);
-- One row per version of a data block: what it was after the entry at seq.
-- pending = 1: its geometry was referenced before all its chunks were in (a later row completes it).
CREATE TABLE IF NOT EXISTS data_versions (
  dkey INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  kind TEXT, name TEXT, settings TEXT,
  hash TEXT, size INTEGER, chunks INTEGER, pending INTEGER NOT NULL,
  vertices INTEGER, edges INTEGER, faces INTEGER, loops INTEGER, uv_layers INTEGER, bones INTEGER, splines INTEGER, points INTEGER,
  min_x REAL, min_y REAL, min_z REAL, max_x REAL, max_y REAL, max_z REAL,
  PRIMARY KEY (dkey, seq)
) WITHOUT ROWID;
-- The live data blocks.
CREATE TABLE IF NOT EXISTS data_blocks (
  dkey INTEGER PRIMARY KEY,
  room TEXT NOT NULL,
  data_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT, name TEXT, settings TEXT,
  hash TEXT, size INTEGER, chunks INTEGER, pending INTEGER NOT NULL,
  vertices INTEGER, edges INTEGER, faces INTEGER, loops INTEGER, uv_layers INTEGER, bones INTEGER, splines INTEGER, points INTEGER,
  min_x REAL, min_y REAL, min_z REAL, max_x REAL, max_y REAL, max_z REAL
);
CREATE INDEX IF NOT EXISTS data_blocks_by_room ON data_blocks (room, data_id);
-- Each time a geometry chunk was written: the log entry (position) that carries its bytes.
CREATE TABLE IF NOT EXISTS geometry_chunks (
  room_id INTEGER NOT NULL,
  hash TEXT NOT NULL,
  idx INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (room_id, hash, idx, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS collection_history (
  room_id INTEGER NOT NULL,
  collection_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  name TEXT, parent TEXT, flags TEXT,
  PRIMARY KEY (room_id, collection_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS collections (
  room_id INTEGER NOT NULL,
  collection_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT, parent TEXT, flags TEXT,
  PRIMARY KEY (room_id, collection_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scene_history (
  room_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  camera TEXT,
  PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS data_history AS
  SELECT r.room, k.data_id, v.*, e.time, e.user, e.client
  FROM data_versions v JOIN data_keys k ON k.dkey = v.dkey JOIN rooms r ON r.room_id = k.room_id
  JOIN events e ON e.seq = v.seq;
`

export const DATA_SUMMARY_COLUMNS = ['vertices', 'edges', 'faces', 'loops', 'uv_layers', 'bones', 'splines', 'points', 'min_x', 'min_y', 'min_z', 'max_x', 'max_y', 'max_z'] as const
