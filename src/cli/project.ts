/** `scenesync project --rebuild`: the projection rebuilt from the log, with a progress bar. */
import { cursorToSeq } from '../log/sqlite-event-log.js'
import type { Logger } from '../logger.js'
import { rebuildProjection } from '../projection/rebuild.js'
import { Command, Option } from 'commander'
import { UsageError } from './args.js'
import { logLevelOption } from './command-line.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'
import { openStore, parseStore } from './open-store.js'

export interface ProjectFlags {
  rebuild?: boolean
  data: string
  store: string
  logLevel: string
}

export function projectCommand(action: (f: ProjectFlags) => Promise<void>): Command {
  return new Command('project')
    .summary('rebuild the projection from the log')
    .description('Rebuilds the projection from the log, with a progress bar; refused (exit 3) while a server owns the projection.')
    .usage('--rebuild [--data DIR] [--store sqlite|fdb[:clusterfile]]')
    .option('--rebuild', 'rebuild the projection from the log (required: the only thing this command does)')
    .addOption(new Option('--data <dir>', 'the data folder').env('SCENESYNC_DATA').default(DEFAULT_DATA))
    .addOption(new Option('--store <store>', 'the event log: sqlite, fdb or fdb:<cluster file>').env('SCENESYNC_STORE').default('sqlite'))
    .addOption(logLevelOption())
    .action((f: ProjectFlags) => {
      if (!f.rebuild) throw new UsageError('scenesync project --rebuild [--data DIR] [--store sqlite|fdb[:clusterfile]]')
      return action(f)
    })
}

export function progressBar(done: number, total: number, startedMs: number, width = 30): string {
  const rate = done / Math.max(0.001, (Date.now() - startedMs) / 1000)
  if (total <= 0) return `${done} entries (${Math.round(rate)}/s)`
  const f = Math.min(1, done / total)
  const filled = Math.round(f * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(1)}% ${done}/${total} entries (${Math.round(rate)}/s)`
}

export async function runProject(f: ProjectFlags, err: NodeJS.WritableStream & { isTTY?: boolean }, logger: Logger): Promise<void> {
  const data = f.data
  const spec = parseStore(f.store)
  const log = await openStore(spec, data, logger)
  try {
    const head = await log.head()
    // The embedded log's cursors are positions, so it can show a percentage.
    const total = spec.kind === 'sqlite' ? cursorToSeq(head) : 0
    const started = Date.now()
    let last = 0
    const draw = (seq: number) => {
      if (Date.now() - last < 100 && seq < total) return
      last = Date.now()
      err.write(err.isTTY ? `\r${progressBar(seq, total, started)}` : `${progressBar(seq, total, started)}\n`)
    }
    draw(0)
    const { entries } = await rebuildProjection(log, projectionFile(data), { onProgress: draw })
    draw(entries)
    if (err.isTTY) err.write('\n')
    err.write(`rebuilt ${projectionFile(data)} from ${entries} log entries in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  } finally {
    await log.close()
  }
}
