/**
 * Real processes for the Blender end-to-end tests and benchmark: a scenesync
 * server on a fixed loopback port (so it can be restarted in place) and
 * Blender instances running test/e2e/blender_driver.py, spoken to over a line
 * protocol on stdin/stdout (answers start with "@@ ").
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { spawnServer } from '../helpers/spawn-server.js'

export const ROOT = path.resolve(import.meta.dirname, '..', '..')
export const DRIVER = path.join(ROOT, 'test', 'e2e', 'blender_driver.py')
export const BUILD_ZIP = path.join(ROOT, 'blender_addon', 'build_zip.py')
export const ADDON_PATH = path.join(ROOT, 'blender_addon')

/** The Blender to use: $SCENESYNC_BLENDER, else `blender` on PATH; null when there is none. */
export function findBlender(): string | null {
  const env = process.env.SCENESYNC_BLENDER
  if (env) return fs.existsSync(env) ? env : null
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'blender')
    if (dir && fs.existsSync(p)) return p
  }
  return null
}

export function hasXvfb(): boolean {
  try {
    execFileSync('which', ['xvfb-run'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export { freePort } from '../helpers/agent-process.js'

/** The agent command the add-on runs: the CLI from source, a journal per Blender. */
export function agentCommand(journalDir: string): string {
  return `node --import tsx ${JSON.stringify(path.join(ROOT, 'src', 'cli', 'main.ts'))} agent --journal-dir ${JSON.stringify(journalDir)}`
}

export async function getJson<T = any>(url: string): Promise<T> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

export class Server {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    private readonly log: () => string,
  ) {}

  get http(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get ws(): string {
    return `ws://127.0.0.1:${this.port}`
  }

  static async start(port: number, dataDir: string): Promise<Server> {
    const p = await spawnServer(dataDir, [], port)
    return new Server(p.child, port, p.stderr)
  }

  stderr(): string {
    return this.log()
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
      this.child.once('exit', () => {
        clearTimeout(t)
        resolve()
      })
      this.child.kill(signal)
    })
  }
}

export interface BlenderOptions {
  blender: string
  /** Extra driver flags, e.g. --rig. */
  args?: string[]
  /** Install the add-on from this zip (else import it from blender_addon/). */
  zip?: string
  /** A real window under xvfb-run: timers fire, nothing is pumped by hand. */
  gui?: boolean
  /** Blender's user scripts folder, so installing the zip leaves $HOME alone. */
  userScripts: string
  /** More Blender command-line flags (before --python). */
  blenderArgs?: string[]
  /** The folder holding the add-on package (default blender_addon/; a benchmark's other copy). */
  addonPath?: string
  /** Environment over this process's (e.g. a PATH with only node on it). */
  env?: Record<string, string>
  /** Working folder (default: the checkout). */
  cwd?: string
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; cmd: string }

export class Blender {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private out = ''
  private ready!: Promise<void>
  exited = false

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {}

  static async start(name: string, o: BlenderOptions): Promise<Blender> {
    const driverArgs = ['--', ...(o.zip ? ['--zip', o.zip] : ['--addon-path', o.addonPath ?? ADDON_PATH]), ...(o.gui ? ['--gui'] : []), ...(o.args ?? [])]
    const blenderArgs = [...(o.gui ? [] : ['-b']), '--factory-startup', '-noaudio', ...(o.blenderArgs ?? []), '--python-exit-code', '1', '--python', DRIVER, ...driverArgs]
    const [cmd, argv] = o.gui ? ['xvfb-run', ['-a', '-s', '-screen 0 1280x800x24', o.blender, ...blenderArgs]] : [o.blender, blenderArgs]
    const child = spawn(cmd, argv, {
      cwd: o.cwd ?? ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so cleanup also reaches the agent and Xvfb.
      detached: true,
      env: { ...process.env, ...o.env, BLENDER_USER_SCRIPTS: o.userScripts, BLENDER_USER_CONFIG: path.join(o.userScripts, 'config') },
    })
    const b = new Blender(name, child)
    b.ready = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name}: Blender did not get ready in 90 s:\n${b.tail()}`)), 90_000)
      let buf = ''
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString()
        let i: number
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i)
          buf = buf.slice(i + 1)
          b.keep(line)
          if (!line.startsWith('@@ ')) continue
          const msg = JSON.parse(line.slice(3)) as { id?: number; ready?: boolean; ok?: boolean; result?: unknown; error?: string; trace?: string }
          if (msg.ready) {
            clearTimeout(t)
            resolve()
            continue
          }
          const p = msg.id !== undefined ? b.pending.get(msg.id) : undefined
          if (!p) continue
          b.pending.delete(msg.id!)
          clearTimeout(p.timer)
          if (msg.ok) p.resolve(msg.result)
          else p.reject(new Error(`${name}: ${p.cmd} failed: ${msg.error}\n${msg.trace ?? ''}\n--- Blender output ---\n${b.tail()}`))
        }
      })
      child.stderr!.on('data', (d: Buffer) => b.keep(d.toString()))
      child.once('exit', (code, signal) => {
        b.exited = true
        clearTimeout(t)
        const e = new Error(`${name}: Blender exited (${code ?? signal}):\n${b.tail()}`)
        reject(e)
        for (const p of b.pending.values()) {
          clearTimeout(p.timer)
          p.reject(e)
        }
        b.pending.clear()
      })
    })
    await b.ready
    return b
  }

  private keep(s: string): void {
    this.out = (this.out + s + '\n').slice(-12_000)
  }

  tail(): string {
    return this.out
  }

  cmd<T = unknown>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      if (this.exited) return reject(new Error(`${this.name}: Blender is not running`))
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${this.name}: ${cmd} got no answer in ${timeoutMs} ms\n${this.tail()}`))
      }, timeoutMs)
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, cmd })
      this.child.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n')
    })
  }

  /** Runs Python in the driver's namespace (``vars`` are set first); returns its ``result``. */
  exec<T = unknown>(code: string, vars: Record<string, unknown> = {}): Promise<T> {
    return this.cmd<T>('exec', { code, vars })
  }

  /** Pumps until the Python expression is truthy; returns its value. */
  until<T = unknown>(expr: string, vars: Record<string, unknown> = {}, timeout = 20): Promise<T> {
    return this.cmd<T>('until', { expr, vars, timeout }, (timeout + 10) * 1000)
  }

  /** SIGKILL Blender alone, as a crash would: its agent sees stdin close and exits. */
  async crash(): Promise<void> {
    if (this.exited) return
    const done = new Promise<void>((r) => this.child.once('exit', () => r()))
    this.child.kill('SIGKILL')
    await done
  }

  /** Kills the whole process group (Blender, its agent, Xvfb). */
  async kill(): Promise<void> {
    if (!this.exited) {
      const done = new Promise<void>((r) => this.child.once('exit', () => r()))
      try {
        process.kill(-this.child.pid!, 'SIGKILL')
      } catch {
        this.child.kill('SIGKILL')
      }
      await done
    }
    try {
      process.kill(-this.child.pid!, 'SIGKILL')
    } catch {
      // the group is already gone
    }
  }
}

export interface Xf {
  mode: string
  location: number[]
  rotation: number[]
  scale: number[]
}

/** Float32 tolerance: Blender and the doc both hold float32. */
export function xfClose(a: Xf | null | undefined, b: Xf | null | undefined, tol = 1e-5): boolean {
  if (!a || !b || a.mode !== b.mode) return false
  const av = [...a.location, ...a.rotation, ...a.scale]
  const bv = [...b.location, ...b.rotation, ...b.scale]
  return av.length === bv.length && av.every((v, i) => Math.abs(v - bv[i]!) <= tol * Math.max(1, Math.abs(v)))
}
