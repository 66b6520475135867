/**
 * The servers the sync benchmark compares, each started as its own child
 * process on loopback with its own data folder:
 *
 *  - ours: `scenesync serve` (server + embedded SQLite log + projector);
 *  - `@y/websocket-server@0.1.1`'s own bin (`src/server.js`, what
 *    `npx y-websocket` runs) with `YPERSISTENCE=<dir>`, i.e. y-leveldb. (0.1.1
 *    is the newest 0.1.x for Yjs 13: 0.1.5 needs Yjs 14 and dropped y-leveldb.)
 *  - Hocuspocus 4 (`bench/hocuspocus-server.mjs`: @hocuspocus/server with
 *    @hocuspocus/extension-sqlite, defaults), its own protocol. It declares
 *    Node >= 22; it runs on our Node 20 (no API it uses is missing there).
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
import type { Protocol } from './sync-raw-client.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
/** Extra node flags for the server processes (e.g. `--cpu-prof` when looking into a result). */
const NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)

export type ServerKind = 'ours' | 'y-websocket-server' | 'hocuspocus'
export const SERVER_KINDS: readonly ServerKind[] = ['ours', 'y-websocket-server', 'hocuspocus']

export interface ServerProc {
  kind: ServerKind
  /** The wire protocol its clients speak. */
  protocol: Protocol
  label: string
  pid: number
  port: number
  /** Base URL (the room goes in the path for y-websocket, in each message for Hocuspocus). */
  url: string
  dataDir: string
  /** Our projection file (ours only). */
  projectionFile: string | null
  /** Last lines the child wrote, for diagnostics. */
  tail(): string[]
  /** Lines on stderr that report a closed connection or an error. */
  warnings(): string[]
  exited(): boolean
  /** Graceful stop (SIGTERM; SIGKILL after 10 s). */
  stop(): Promise<void>
  /** Sends `signal` and waits for the process to be gone. */
  kill(signal: NodeJS.Signals): Promise<void>
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

function killer(child: ChildProcess): (signal: NodeJS.Signals) => Promise<void> {
  return async (signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill(signal)
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

async function launch(
  kind: ServerKind,
  protocol: Protocol,
  label: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  dataDir: string,
  ready: (child: ChildProcess) => Promise<void>,
  projectionFile: string | null = null,
): Promise<ServerProc> {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const out = watchOutput(child)
  try {
    await ready(child)
  } catch (e) {
    child.kill('SIGKILL')
    throw new Error(`${kind}: ${(e as Error).message}\n${out.tail().join('\n')}`)
  }
  const kill = killer(child)
  return {
    kind,
    protocol,
    label,
    pid: child.pid!,
    port,
    url: `ws://127.0.0.1:${port}`,
    dataDir,
    projectionFile,
    ...out,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: () => kill('SIGTERM'),
    kill,
  }
}

export interface StartOptions {
  /** Ours: the per-connection update rate limit (raised for saturation). */
  updatesPerSecond?: number
  /** Ours: more `scenesync serve` flags. */
  serveArgs?: string[]
}

/** Starts a server of `kind` on `dataDir` (created if missing; an existing one is reopened, as after a crash). */
export async function startServer(kind: ServerKind, dataDir: string, o: StartOptions = {}): Promise<ServerProc> {
  fs.mkdirSync(dataDir, { recursive: true })
  const port = await freePort()
  switch (kind) {
    case 'ours': {
      // Built JavaScript, as the peers run: no loader in the measured process.
      buildOnce()
      const args = [path.join(ROOT, 'dist/cli/main.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data', dataDir]
      if (o.updatesPerSecond) args.push('--updates-per-second', String(o.updatesPerSecond))
      if (o.serveArgs) args.push(...o.serveArgs)
      return launch(
        kind,
        'y-websocket',
        'scenesync serve from dist (SQLite log, its WAL fdatasynced off the event loop before any ack, projector in-process in a worker thread that also writes the projection)',
        args,
        { SCENESYNC_LOG_LEVEL: 'info' },
        port,
        dataDir,
        (c) => waitForHttp(port, '/healthz', c, 30_000),
        path.join(dataDir, 'projection.sqlite'),
      )
    }
    case 'y-websocket-server': {
      const pkg = path.dirname(require.resolve('@y/websocket-server/package.json'))
      return launch(
        kind,
        'y-websocket',
        `@y/websocket-server@${packageVersion('@y/websocket-server')} bin, YPERSISTENCE (${peerPersistenceVersion()})`,
        [path.join(pkg, 'src/server.js')],
        { HOST: '127.0.0.1', PORT: String(port), YPERSISTENCE: dataDir },
        port,
        dataDir,
        // It answers any plain HTTP request with "okay".
        (c) => waitForHttp(port, '/', c, 30_000),
      )
    }
    case 'hocuspocus':
      return launch(
        kind,
        'hocuspocus',
        `@hocuspocus/server@${packageVersion('@hocuspocus/server')} + @hocuspocus/extension-sqlite@${packageVersion('@hocuspocus/extension-sqlite')}, defaults (store debounced 2 s, max 10 s)`,
        [path.join(ROOT, 'bench/hocuspocus-server.mjs')],
        { HOST: '127.0.0.1', PORT: String(port), HOCUSPOCUS_DB: path.join(dataDir, 'hocuspocus.sqlite') },
        port,
        dataDir,
        (c) => waitForHttp(port, '/', c, 30_000),
      )
  }
}

export function packageVersion(name: string): string {
  // Read from the folder: some packages do not export their package.json.
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
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
