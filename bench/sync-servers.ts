/**
 * The two servers the sync benchmark compares, each started as its own child
 * process on loopback with a fresh data folder:
 *
 *  - ours: `scenesync serve` (server + embedded SQLite log + projector);
 *  - the peer: `@y/websocket-server@0.1.1`'s own bin (`src/server.js`, what
 *    `npx y-websocket` runs) with `YPERSISTENCE=<dir>`, i.e. y-leveldb.
 *
 * Memory is read from /proc/<pid>/status of the child itself (VmHWM = peak
 * resident set over its life), CPU from /proc/<pid>/stat.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
/** Extra node flags for the server processes (e.g. `--cpu-prof` when looking into a result). */
const NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)

export interface ServerProc {
  kind: 'ours' | 'peer'
  label: string
  pid: number
  port: number
  url: string
  dataDir: string
  /** Our projection file (ours only). */
  projectionFile: string | null
  /** Last lines the child wrote, for diagnostics. */
  tail(): string[]
  /** Lines on stderr that report a closed connection or an error. */
  warnings(): string[]
  exited(): boolean
  stop(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

async function waitForHttp(port: number, pathName: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before listening`)
    try {
      const res = await fetch(`http://127.0.0.1:${port}${pathName}`)
      await res.text()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server on port ${port} did not answer ${pathName} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function watchOutput(child: ChildProcess): { tail(): string[]; warnings(): string[] } {
  const tail: string[] = []
  const warnings: string[] = []
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue
      tail.push(line)
      if (tail.length > 40) tail.shift()
      if (/"level":"(warn|error)"|Error|error/.test(line) && warnings.length < 20) warnings.push(line.slice(0, 300))
    }
  }
  child.stdout?.on('data', take)
  child.stderr?.on('data', take)
  return { tail: () => tail.slice(), warnings: () => warnings.slice() }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await gone
    clearTimeout(t)
  }
}

let built = false
/** Compiles src to dist once per run, so the server measured is the one `npm start` runs. */
function buildOnce(): void {
  if (built) return
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('tsc failed; cannot build the server to measure')
  built = true
}

export async function startOurs(baseDir: string, updatesPerSecond: number): Promise<ServerProc> {
  const port = await freePort()
  const dataDir = path.join(baseDir, 'ours')
  fs.mkdirSync(dataDir, { recursive: true })
  // Built JavaScript, as the peer runs: no loader in the measured process.
  buildOnce()
  const child = spawn(
    process.execPath,
    [...NODE_ARGS, path.join(ROOT, 'dist/cli/main.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data', dataDir, '--updates-per-second', String(updatesPerSecond)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SCENESYNC_LOG_LEVEL: 'info' } },
  )
  const out = watchOutput(child)
  try {
    await waitForHttp(port, '/healthz', child, 30_000)
  } catch (e) {
    child.kill('SIGKILL')
    throw new Error(`${(e as Error).message}\n${out.tail().join('\n')}`)
  }
  return {
    kind: 'ours',
    label: 'scenesync serve from dist (SQLite log, fsync per group commit, projector in-process with its Yjs half in a worker thread)',
    pid: child.pid!,
    port,
    url: `ws://127.0.0.1:${port}`,
    dataDir,
    projectionFile: path.join(dataDir, 'projection.sqlite'),
    ...out,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: stopper(child),
  }
}

export async function startPeer(baseDir: string): Promise<ServerProc> {
  const port = await freePort()
  const dataDir = path.join(baseDir, 'peer-leveldb')
  const pkg = path.dirname(require.resolve('@y/websocket-server/package.json'))
  const bin = path.join(pkg, 'src/server.js')
  const child = spawn(process.execPath, [...NODE_ARGS, bin], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), YPERSISTENCE: dataDir },
  })
  const out = watchOutput(child)
  try {
    // The peer answers any plain HTTP request with "okay".
    await waitForHttp(port, '/', child, 30_000)
  } catch (e) {
    child.kill('SIGKILL')
    throw new Error(`${(e as Error).message}\n${out.tail().join('\n')}`)
  }
  return {
    kind: 'peer',
    label: '@y/websocket-server@0.1.1 bin, YPERSISTENCE (y-leveldb)',
    pid: child.pid!,
    port,
    url: `ws://127.0.0.1:${port}`,
    dataDir,
    projectionFile: null,
    ...out,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: stopper(child),
  }
}

/** VmHWM / VmRSS of a process, MB. */
export function memoryOf(pid: number): { hwm: number; rss: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN)
  return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 }
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSecondsOf(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ')
  return (Number(rest[11]) + Number(rest[12])) / 100
}

/** Where the peer's y-leveldb resolves from (it ships its own nested copy). */
export function peerPersistenceVersion(): string {
  const pkg = path.dirname(require.resolve('@y/websocket-server/package.json'))
  for (const p of [path.join(pkg, 'node_modules/y-leveldb/package.json'), path.join(ROOT, 'node_modules/y-leveldb/package.json')]) {
    if (fs.existsSync(p)) return `y-leveldb@${(JSON.parse(fs.readFileSync(p, 'utf8')) as { version: string }).version}`
  }
  return 'y-leveldb@?'
}


/** Bytes under a folder (what a server has persisted), MB. */
export function folderMb(dir: string): number {
  let bytes = 0
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) bytes += fs.statSync(p).size
    }
  }
  if (fs.existsSync(dir)) walk(dir)
  return bytes / (1 << 20)
}
