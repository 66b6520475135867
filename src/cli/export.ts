/**
 * `scenesync export`: a room's time range as a glTF, CSV or Parquet file
 * (docs/export.md). Reads the projection read-only, so it runs beside a
 * server. Writes FILE.partial and renames it when complete, so a failed or
 * interrupted export never leaves a truncated file under the name asked for.
 */
import fs from 'node:fs'
import type { Writable } from 'node:stream'
import { ExportError, exportRange, parseFormat, parseFps, parseInterpolation } from '../export/export-range.js'
import { fdSink, streamSink } from '../export/byte-sink.js'
import { LogGeometrySource } from '../export/log-geometry-source.js'
import { LOG_FILE, SqliteEventLog } from '../log/sqlite-event-log.js'
import path from 'node:path'
import { LookupError } from '../projection/object-lookup.js'
import { openDatabase } from '../projection/sql.js'
import { TimeTravel } from '../projection/time-travel.js'
import { Command, Option } from 'commander'
import { UsageError, parseAt } from './args.js'
import { epilog, prepare, required, run } from './command-line.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'
import { ProgressLine } from './progress-line.js'
import { localTime } from './table.js'

interface ExportFlags {
  room: string
  from?: string
  to?: string
  format?: string
  out: string
  fps?: string
  interpolation?: string
  data: string
}

type Err = NodeJS.WritableStream & { isTTY?: boolean }

export function exportCommand(out: NodeJS.WritableStream & Writable, err: Err): Command {
  const cmd = new Command('export')
    .summary('a time range as a glTF, CSV or Parquet file')
    .description('A time range of a room as a file (both ends included; default: all of history).')
    .usage('--room R [--from SEQ|TIME] [--to SEQ|TIME] --format gltf|csv|parquet --out FILE [--data DIR]')
    .addOption(required(new Option('--room <room>', 'the room')))
    .option('--from <seq|time>', 'the start of the range (default: the start of history)')
    .option('--to <seq|time>', 'the end of the range (default: now)')
    .option('--format <format>', 'gltf, csv or parquet')
    .addOption(required(new Option('--out <file>', 'the file to write, or - for stdout')))
    .option('--fps <n>', 'gltf: keys at a fixed rate instead of at each log entry (each key holds the latest entry at or before its time)')
    .option('--interpolation <kind>', 'gltf: step (default, exact) or linear')
    .addOption(new Option('--data <dir>', 'the data folder').env('SCENESYNC_DATA').default(DEFAULT_DATA))
    .action((f: ExportFlags) => exportWith(f, out, err))
  return epilog(
    cmd,
    `  gltf     glTF 2.0 binary (.glb): the nodes as at --from, one animation with a key at each
           log entry's time
  csv      one row per sample (object and pose-bone rows), for pandas, DuckDB, spreadsheets
  parquet  the same rows as Parquet
Columns, axes and importing into Blender and Godot: docs/export.md`,
  )
}

const EXPORT_CACHE_KIB = Number(process.env.SCENESYNC_EXPORT_CACHE_KIB ?? 16_384)

/** `scenesync export ...` with its words after `export` (help goes to `out`). */
export async function runExport(argv: readonly string[], out: NodeJS.WritableStream & Writable, err: Err): Promise<void> {
  const root = prepare(new Command('scenesync').addCommand(exportCommand(out, err)), { out: (s) => out.write(s) })
  await run(root, ['export', ...argv])
}

async function exportWith(f: ExportFlags, out: NodeJS.WritableStream & Writable, err: Err): Promise<void> {
  const { room, out: target } = f
  let format, fps, interpolation
  try {
    format = parseFormat(f.format ?? null)
    fps = parseFps(f.fps ?? null)
    interpolation = parseInterpolation(f.interpolation ?? null)
  } catch (e) {
    throw new UsageError(`--${(e as Error).message}`)
  }
  const from = f.from !== undefined ? parseAt(f.from, 'from') : undefined
  const to = f.to !== undefined ? parseAt(f.to, 'to') : undefined
  const dataDir = f.data
  const file = projectionFile(dataDir)
  if (!fs.existsSync(file)) throw new UsageError(`no projection at ${file}: start the server (npm start) or run \`scenesync project --rebuild\``)
  const db = openDatabase(file, { readonly: true })
  // An export reads each page once: a small page cache keeps memory flat (the OS caches the file anyway).
  db.exec(`PRAGMA cache_size = -${EXPORT_CACHE_KIB}`)
  const toStdout = target === '-'
  const partial = `${target}.partial`
  let fd: number | null = null
  // glTF meshes: geometry bytes are read back from the log (read-only, beside a server).
  const log = format === 'gltf' && fs.existsSync(path.join(dataDir, LOG_FILE)) ? SqliteEventLog.openReadOnly(dataDir) : null
  try {
    const tt = new TimeTravel(db)
    tt.requireRoom(room)
    if (!toStdout) fd = fs.openSync(partial, 'w')
    const progress = new ProgressLine(err, 'samples')
    const started = Date.now()
    const summary = await exportRange(
      tt,
      { room, format, ...(from ? { from } : {}), ...(to ? { to } : {}), ...(fps !== undefined ? { fps } : {}), ...(interpolation ? { interpolation } : {}), ...(log ? { geometry: new LogGeometrySource(tt, log, room) } : {}) },
      fd === null ? streamSink(out) : fdSink(fd),
      { onProgress: (done, total) => progress.update(done, total) },
    )
    progress.end()
    if (fd !== null) {
      fs.closeSync(fd)
      fd = null
      fs.renameSync(partial, target)
    } else {
      // The process exits right after: wait until stdout has taken every byte.
      await new Promise<void>((resolve) => out.write('', () => resolve()))
    }
    const size = toStdout ? '' : `, ${(fs.statSync(target).size / 1e6).toFixed(1)} MB`
    err.write(
      `exported ${summary.samples.toLocaleString('en-US')} samples of room ${room}, #${summary.from}..#${summary.to} ` +
        `(${localTime(summary.startTime)} to ${localTime(summary.endTime)}), as ${format} to ${toStdout ? 'stdout' : target}${size} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    )
  } catch (e) {
    if (fd !== null) {
      fs.closeSync(fd)
      fs.rmSync(partial, { force: true })
    }
    if (e instanceof LookupError || e instanceof ExportError) throw new UsageError(e.message)
    throw e
  } finally {
    db.close()
    await log?.close()
  }
}
