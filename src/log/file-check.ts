/**
 * Checks that a data file is a whole SQLite database before anything serves
 * from it: the header (is it SQLite at all?), the size (truncated?), then
 * SQLite's own structural check (a torn or overwritten page). `header` stops
 * after the first two, `quick` runs
 * `PRAGMA quick_check` (at server start), `full` runs `integrity_check`
 * (`scenesync check`). Both read every page, so they cost about a second per
 * few hundred MB.
 */
import fs from 'node:fs'
import Database from 'better-sqlite3'
import { CorruptFileError } from './errors.js'

export interface FileCheck {
  ok: boolean
  /** The check that ran last: header, size, open, quick_check or integrity_check. */
  check: string
  detail: string
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1')
const MAX_REPORTED = 5

/** Checks `file`; a missing file passes (a new data folder). */
export function checkSqliteFile(file: string, depth: 'header' | 'quick' | 'full'): FileCheck {
  if (!fs.existsSync(file)) return { ok: true, check: 'exists', detail: 'no file yet' }
  const size = fs.statSync(file).size
  if (size === 0) return { ok: false, check: 'header', detail: 'the file is empty (0 bytes): truncated to nothing? (if the data folder is new, delete the file)' }
  const head = Buffer.alloc(100)
  const fd = fs.openSync(file, 'r')
  let got: number
  try {
    got = fs.readSync(fd, head, 0, 100, 0)
  } finally {
    fs.closeSync(fd)
  }
  if (got < 100 || !head.subarray(0, 16).equals(MAGIC)) return { ok: false, check: 'header', detail: 'not an SQLite database (its first bytes are not "SQLite format 3")' }
  const raw = head.readUInt16BE(16)
  const pageSize = raw === 1 ? 65536 : raw
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return { ok: false, check: 'header', detail: `page size ${raw} is not a power of two from 512 to 65536` }
  if (size % pageSize !== 0) return { ok: false, check: 'size', detail: `the file's ${size} bytes are not whole ${pageSize}-byte pages (truncated or torn at the end)` }
  // The header's page count is valid when its version-valid-for number matches the change counter.
  const pages = head.readUInt32BE(28)
  if (head.readUInt32BE(92) === head.readUInt32BE(24) && pages > 0 && size / pageSize < pages) {
    return { ok: false, check: 'size', detail: `the file holds ${size / pageSize} of the ${pages} pages its header names (truncated)` }
  }
  if (depth === 'header') return { ok: true, check: 'size', detail: 'ok' }
  const pragma = depth === 'quick' ? 'quick_check' : 'integrity_check'
  let db: Database.Database | null = null
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
    const rows = db.pragma(pragma) as Array<Record<string, string>>
    const messages = rows.map((r) => Object.values(r)[0]!)
    if (messages.length === 1 && messages[0] === 'ok') return { ok: true, check: pragma, detail: 'ok' }
    return { ok: false, check: pragma, detail: messages.slice(0, MAX_REPORTED).join('; ') + (messages.length > MAX_REPORTED ? `; and ${messages.length - MAX_REPORTED} more` : '') }
  } catch (e) {
    return { ok: false, check: 'open', detail: (e as Error).message }
  } finally {
    db?.close()
  }
}

/** Throws CorruptFileError (its message names the file, the check and `hint`) unless `file` passes. */
export function verifySqliteFile(file: string, depth: 'header' | 'quick' | 'full', hint: string): void {
  const r = checkSqliteFile(file, depth)
  if (!r.ok) throw new CorruptFileError(file, r.check, r.detail, hint)
}
