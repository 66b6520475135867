/**
 * One `scenesync export` in a fresh process, for bench/history.ts: runs the
 * CLI's own export (runExport) and prints one JSON line with the wall time and
 * the process's peak resident memory as the kernel counted it (ru_maxrss), so
 * the figure is this export's alone, not the benchmark's heap.
 *
 *   node --import tsx bench/export-child.ts <scenesync export arguments>
 */
import { runExport } from '../src/cli/export.js'

const baselineRssMb = process.memoryUsage().rss / (1 << 20)
const t0 = performance.now()
await runExport(process.argv.slice(2), process.stdout, process.stderr)
const s = (performance.now() - t0) / 1000
process.stdout.write(JSON.stringify({ s, peakRssMb: process.resourceUsage().maxRSS / 1024, baselineRssMb }) + '\n')
