/** `scenesync project --rebuild`: the projection rebuilt from the log, with a progress bar. */
import { cursorToSeq } from '../log/sqlite-event-log.js'
import type { Logger } from '../logger.js'
import { rebuildProjection } from '../projection/rebuild.js'
import { UsageError, flag, parseArgs } from './args.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'
import { openStore, parseStore } from './open-store.js'

export function progressBar(done: number, total: number, startedMs: number, width = 30): string {
  const rate = done / Math.max(0.001, (Date.now() - startedMs) / 1000)
  if (total <= 0) return `${done} entries (${Math.round(rate)}/s)`
  const f = Math.min(1, done / total)
  const filled = Math.round(f * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(1)}% ${done}/${total} entries (${Math.round(rate)}/s)`
}

export async function runProject(argv: readonly string[], err: NodeJS.WriteStream, logger: Logger): Promise<void> {
  const p = parseArgs(argv, { values: ['data', 'store'], booleans: ['rebuild'] })
  if (!p.bools.has('rebuild')) throw new UsageError('scenesync project --rebuild [--data DIR] [--store sqlite|fdb[:clusterfile]]')
  const data = flag(p, 'data', 'SCENESYNC_DATA', DEFAULT_DATA)
  const spec = parseStore(flag(p, 'store', 'SCENESYNC_STORE', 'sqlite'))
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
