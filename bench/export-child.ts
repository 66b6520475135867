/**
 * One `scenesync export` in a fresh process, for bench/history.ts: runs the
 * CLI's own export (runExport) and prints one JSON line with the wall time,
 * the process's peak resident memory as the kernel counted it (ru_maxrss), so
 * the figure is this export's alone, and the CPU time of its busiest threads
 * (from /proc, Linux only): on a machine shared with other work the wall time
 * says little, while the busiest thread's CPU time bounds what a quiet
 * machine with a core per thread would take.
 *
 *   node --import tsx bench/export-child.ts <scenesync export arguments>
 */
import fs from 'node:fs'
import { runExport } from '../src/cli/export.js'

/** CPU ms per thread id, kept as the largest value seen (threads that end keep their last). */
const threadCpu = new Map<string, { ms: number; name: string }>()
function sampleThreads(): void {
  let tasks: string[]
  try {
    tasks = fs.readdirSync('/proc/self/task')
  } catch {
    return
  }
  for (const t of tasks) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ms = (Number(f[11]) + Number(f[12])) * 10 // utime + stime in clock ticks (100 Hz)
      threadCpu.set(t, { ms: Math.max(ms, threadCpu.get(t)?.ms ?? 0), name })
    } catch {
      // The thread ended between listing and reading.
    }
  }
}

sampleThreads()
const before = new Map([...threadCpu].map(([t, v]) => [t, v.ms]))
const timer = setInterval(sampleThreads, 100)
const baselineRssMb = process.memoryUsage().rss / (1 << 20)
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await runExport(process.argv.slice(2), process.stdout, process.stderr)
const s = (performance.now() - t0) / 1000
clearInterval(timer)
sampleThreads()
const cpu = process.cpuUsage(cpu0)
const used = [...threadCpu].map(([t, v]) => ({ main: t === String(process.pid), name: v.name, s: (v.ms - (before.get(t) ?? 0)) / 1000 })).sort((a, b) => b.s - a.s)
process.stdout.write(
  JSON.stringify({
    s,
    cpuS: (cpu.user + cpu.system) / 1e6,
    mainThreadCpuS: used.find((u) => u.main)?.s ?? null,
    busiestOtherThreadCpuS: used.find((u) => !u.main)?.s ?? null,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    baselineRssMb,
  }) + '\n',
)
