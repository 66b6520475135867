/**
 * `scenesync check [--data DIR] [--tmp DIR]`: the data folder's integrity, beside a
 * running server or not. Both files get SQLite's integrity_check; every log entry
 * is read back (positions dense, times never decreasing, every update valid); the
 * projection is compared with a rebuild of the log up to the projection's
 * position, table by table (row count and a SHA-256 of the rows). Prints what it
 * found; exits 0 when all is well, 6 when anything is damaged or differs.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { START } from '../log/event-log.js'
import { checkSqliteFile } from '../log/file-check.js'
import { LOG_FILE, SqliteEventLog, cursorToSeq } from '../log/sqlite-event-log.js'
import { checkUpdate } from '../log/update-format.js'
import { type ProjectionDigest, digestProjection } from '../projection/digest.js'
import { Projector } from '../projection/projector.js'
import { openDatabase } from '../projection/sql.js'
import { Command, Option } from 'commander'
import { UsageError } from './args.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'

export interface CheckFlags {
  data: string
  tmp: string
}

export function checkCommand(action: (f: CheckFlags) => Promise<void>): Command {
  return new Command('check')
    .summary('integrity of the log and projection')
    .description(
      "The data folder's integrity, beside a running server or not: SQLite's integrity check on both files, every log entry read back, the projection compared with a rebuild of the log (rows and a hash per table). Prints what it found; exit 6 if anything is damaged or differs.",
    )
    .addOption(new Option('--data <dir>', 'the data folder').env('SCENESYNC_DATA').default(DEFAULT_DATA))
    .option('--tmp <dir>', 'where the comparison rebuild is written', os.tmpdir())
    .action((f: CheckFlags) => action(f))
}

export const CHECK_OK = 0
export const CHECK_DAMAGED = 6

interface LogSummary {
  entries: number
  head: string
  problems: string[]
}

/** Reads every entry back; stops listing problems after a few. */
async function walkLog(log: SqliteEventLog): Promise<LogSummary> {
  const problems: string[] = []
  let after = START
  let entries = 0
  let lastTime = -Infinity
  try {
    for (;;) {
      const page = await log.readFeed(after, { limit: 1000 })
      if (page.length === 0) break
      for (const e of page) {
        entries++
        const seq = cursorToSeq(e.cursor)
        if (seq !== entries) problems.push(`entry ${entries} has position ${seq}: the feed has a hole or a repeat`)
        if (e.time < lastTime) problems.push(`entry ${seq} is stamped ${e.time}, before the entry ahead of it (${lastTime})`)
        lastTime = e.time
        try {
          checkUpdate(e.update)
        } catch (err) {
          problems.push(`entry ${seq} of room ${JSON.stringify(e.room)} is not a valid update: ${(err as Error).message}`)
        }
        if (problems.length >= 5) return { entries, head: e.cursor, problems }
      }
      after = page[page.length - 1]!.cursor
    }
  } catch (e) {
    problems.push(`reading entries after ${after || 'the start'} failed: ${(e as Error).message}`)
  }
  return { entries, head: after, problems }
}

function compare(live: ProjectionDigest, rebuilt: ProjectionDigest): string[] {
  const out: string[] = []
  for (const name of [...new Set([...live.tables.keys(), ...rebuilt.tables.keys()])].sort()) {
    const a = live.tables.get(name)
    const b = rebuilt.tables.get(name)
    if (!a) out.push(`${name}: missing (a rebuild has ${b!.rows} rows)`)
    else if (!b) out.push(`${name}: ${a.rows} rows, a table a rebuild does not have`)
    else if (a.rows !== b.rows) out.push(`${name}: ${a.rows} rows, a rebuild has ${b.rows}`)
    else if (a.hash !== b.hash) out.push(`${name}: ${a.rows} rows, hash differs`)
  }
  return out
}

export async function runCheck(f: CheckFlags, out: (line: string) => void): Promise<number> {
  const data = f.data
  const logPath = path.join(data, LOG_FILE)
  const projPath = projectionFile(data)
  if (!fs.existsSync(logPath)) throw new UsageError(`no event log at ${logPath}: is --data the server's data folder?`)
  let damaged = false

  let summary: LogSummary | null = null
  const logCheck = checkSqliteFile(logPath, 'full')
  let log: SqliteEventLog | null = null
  if (!logCheck.ok) {
    damaged = true
    out(`${logPath}: damaged: ${logCheck.check} failed: ${logCheck.detail}`)
  } else {
    try {
      log = SqliteEventLog.openReadOnly(data)
      summary = await walkLog(log)
    } catch (e) {
      summary = { entries: 0, head: START, problems: [(e as Error).message] }
    }
    if (summary.problems.length > 0) {
      damaged = true
      out(`${logPath}: damaged: entries failed: ${summary.problems.join('; ')}`)
    } else {
      out(`${logPath}: ok (integrity_check, ${summary.entries} entries, head ${summary.head || 'none'})`)
    }
  }

  const projCheck = fs.existsSync(projPath) ? checkSqliteFile(projPath, 'full') : null
  if (projCheck === null) out(`${projPath}: none yet (the server makes it)`)
  else if (!projCheck.ok) {
    damaged = true
    out(`${projPath}: damaged: ${projCheck.check} failed: ${projCheck.detail}; rebuild it with \`scenesync project --rebuild\``)
  } else out(`${projPath}: ok (integrity_check)`)

  if (log && summary && summary.problems.length === 0 && projCheck?.ok) {
    const differences = await compareWithRebuild(log, projPath, summary, f.tmp)
    if (differences.ok) out(differences.line)
    else {
      damaged = true
      out(differences.line)
      for (const d of differences.details) out(`  ${d}`)
    }
  }
  await log?.close()
  return damaged ? CHECK_DAMAGED : CHECK_OK
}

async function compareWithRebuild(log: SqliteEventLog, projPath: string, summary: LogSummary, tmpRoot: string): Promise<{ ok: boolean; line: string; details: string[] }> {
  const db = openDatabase(projPath, { readonly: true })
  let live: ProjectionDigest
  try {
    live = digestProjection(db)
  } finally {
    db.close()
  }
  if (live.seq > summary.entries) {
    return { ok: false, line: `projection at position ${live.seq} is ahead of the log, which ends at ${summary.entries}: it belongs to another log, or the log lost entries`, details: [] }
  }
  const tmp = path.join(tmpRoot, `scenesync-check-${process.pid}-${Date.now()}.sqlite`)
  const rebuilt = openDatabase(tmp, { fast: true })
  try {
    const projector = new Projector(log, rebuilt, { snapshotEvery: 0, batchSize: 10_000, until: live.cursor })
    if (live.seq > 0) await projector.catchUp()
    await projector.stop()
    const digest = digestProjection(rebuilt)
    const details = compare(live, digest)
    if (details.length === 0) return { ok: true, line: `projection at position ${live.seq} equals a rebuild of the log: ${live.tables.size} tables`, details }
    return { ok: false, line: `projection at position ${live.seq} differs from a rebuild of the log (rebuild it with \`scenesync project --rebuild\`):`, details }
  } finally {
    rebuilt.close()
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) fs.rmSync(f, { force: true })
  }
}
