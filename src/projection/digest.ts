/**
 * A digest of a projection database: per table, its row count and a SHA-256
 * over its rows in primary-key order, all read in one transaction (one state,
 * even while a projector writes). Two projections with equal digests hold the
 * same rows (`[P1]` is what `scenesync check` tests with it).
 */
import crypto from 'node:crypto'
import type { SqlDatabase } from './sql.js'

export interface TableDigest {
  rows: number
  hash: string
}

export interface ProjectionDigest {
  /** Position and cursor the projection had reached. */
  seq: number
  cursor: string
  tables: Map<string, TableDigest>
}

function cell(_k: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return `x'${Buffer.from(v).toString('hex')}'`
  if (typeof v === 'bigint') return `${v}n`
  return v
}

export function digestProjection(db: SqlDatabase): ProjectionDigest {
  return db.transaction(() => {
    const state = db.prepare('SELECT cursor, seq FROM projector_state WHERE id = 1').get() as { cursor: string; seq: number } | undefined
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)
    const tables = new Map<string, TableDigest>()
    for (const name of names) {
      const quoted = `"${name.replace(/"/g, '""')}"`
      const pk = (db.prepare(`PRAGMA table_info(${quoted})`).all() as Array<{ name: string; pk: number }>)
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => `"${c.name.replace(/"/g, '""')}"`)
      const order = pk.length > 0 ? pk.join(', ') : 'rowid'
      const hash = crypto.createHash('sha256')
      let rows = 0
      for (const row of db.prepare(`SELECT * FROM ${quoted} ORDER BY ${order}`).iterate()) {
        hash.update(JSON.stringify(Object.values(row as Record<string, unknown>), cell))
        hash.update('\n')
        rows++
      }
      tables.set(name, { rows, hash: hash.digest('hex') })
    }
    return { seq: state?.seq ?? 0, cursor: state?.cursor ?? '', tables }
  })()
}
