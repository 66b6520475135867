/**
 * `scenesync backup DEST [--data DIR]`: an online copy of the data folder's
 * embedded log and projection, taken with SQLite's backup API while a server
 * runs. The projection is copied first and the log second, so the copy's
 * projection is never ahead of its log (on restore the projector catches up
 * from its position). Every update acknowledged before the backup started is
 * in the copy, which is consistent at the log position it prints.
 *
 * Restore: stop the server, move the data folder aside, and copy DEST in its
 * place (docs/operations.md, Backup and restore).
 */
import fs from 'node:fs'
import path from 'node:path'
import { LOG_FILE, SqliteEventLog, cursorToSeq } from '../log/sqlite-event-log.js'
import { backupDatabase, openDatabase } from '../projection/sql.js'
import { Command, Option } from 'commander'
import { UsageError } from './args.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'

export function backupCommand(action: (dest: string, data: string) => Promise<void>): Command {
  return new Command('backup')
    .summary('online copy of the log and projection')
    .description('An online copy of the log and projection into the new folder DEST, while a server runs; prints the log position the copy is consistent at. Restore: stop the server, move the data folder aside, copy DEST in its place (docs/operations.md).')
    .argument('<dest>', 'a new (or empty) folder')
    .addOption(new Option('--data <dir>', 'the data folder').env('SCENESYNC_DATA').default(DEFAULT_DATA))
    .action((dest: string, f: { data: string }) => action(dest, f.data))
}

export interface BackupResult {
  dest: string
  /** The log position the copy is consistent at. */
  seq: number
  cursor: string
  /** The copied projection's position (at or before `seq`), or null without one. */
  projectionSeq: number | null
}

export async function runBackup(dest: string, data: string): Promise<BackupResult> {
  const logPath = path.join(data, LOG_FILE)
  if (!fs.existsSync(logPath)) throw new UsageError(`no event log at ${logPath}: is --data the server's data folder?`)
  if (fs.existsSync(dest) && (!fs.statSync(dest).isDirectory() || fs.readdirSync(dest).length > 0)) {
    throw new UsageError(`${dest} exists and is not an empty folder: a backup goes into a new folder, it never overwrites`)
  }
  fs.mkdirSync(dest, { recursive: true })
  let projectionSeq: number | null = null
  const proj = projectionFile(data)
  if (fs.existsSync(proj)) {
    const copy = projectionFile(dest)
    await backupDatabase(proj, copy)
    const db = openDatabase(copy, { readonly: true })
    try {
      projectionSeq = (db.prepare('SELECT seq FROM projector_state WHERE id = 1').get() as { seq: number } | undefined)?.seq ?? 0
    } finally {
      db.close()
    }
  }
  const log = SqliteEventLog.openReadOnly(data)
  let cursor: string
  try {
    cursor = await log.backup(path.join(dest, LOG_FILE))
  } finally {
    await log.close()
  }
  return { dest, seq: cursorToSeq(cursor), cursor, projectionSeq }
}

export function describeBackup(r: BackupResult): string {
  const proj = r.projectionSeq === null ? 'no projection yet' : `the projection at position ${r.projectionSeq} (it catches up from there)`
  return `backed up to ${r.dest} at log position ${r.seq} (cursor ${r.cursor || 'none'}), with ${proj}`
}
