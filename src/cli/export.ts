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
import { UsageError, flag, parseArgs, parseAt } from './args.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'
import { ProgressLine } from './progress-line.js'
import { localTime } from './table.js'

export const EXPORT_HELP = `scenesync export --room R [--from SEQ|TIME] [--to SEQ|TIME] --format gltf|csv|parquet --out FILE [--data DIR]
  A time range of a room as a file (both ends included; default: all of history).
  gltf     glTF 2.0 binary (.glb): the nodes as at --from, one animation with a key at each
           log entry's time; --fps N keys at a fixed rate instead (each key holds the latest
           entry at or before its time); --interpolation step (default, exact) or linear
  csv      one row per sample (object and pose-bone rows), for pandas, DuckDB, spreadsheets
  parquet  the same rows as Parquet
  --out -  writes to stdout
  Columns, axes and importing into Blender and Godot: docs/export.md`

const EXPORT_CACHE_KIB = Number(process.env.SCENESYNC_EXPORT_CACHE_KIB ?? 16_384)

export async function runExport(argv: readonly string[], out: NodeJS.WritableStream & Writable, err: NodeJS.WritableStream & { isTTY?: boolean }): Promise<void> {
  if (argv.some((a) => a === '--help' || a === '-h')) {
    out.write(EXPORT_HELP + '\n')
    return
  }
  const p = parseArgs(argv, { values: ['room', 'from', 'to', 'format', 'out', 'fps', 'interpolation', 'data'] })
  if (p.positional.length > 0) throw new UsageError(`unexpected ${JSON.stringify(p.positional[0])}\n\n${EXPORT_HELP}`)
  const room = p.flags.get('room')
  const target = p.flags.get('out')
  if (!room) throw new UsageError(`--room is required\n\n${EXPORT_HELP}`)
  if (!target) throw new UsageError(`--out is required (a file, or - for stdout)\n\n${EXPORT_HELP}`)
  let format, fps, interpolation
  try {
    format = parseFormat(p.flags.get('format'))
    fps = parseFps(p.flags.get('fps'))
    interpolation = parseInterpolation(p.flags.get('interpolation'))
  } catch (e) {
    throw new UsageError(`--${(e as Error).message}`)
  }
  const from = p.flags.has('from') ? parseAt(p.flags.get('from')!, 'from') : undefined
  const to = p.flags.has('to') ? parseAt(p.flags.get('to')!, 'to') : undefined
  const dataDir = flag(p, 'data', 'SCENESYNC_DATA', DEFAULT_DATA)
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
