/** `scenesync agent` as a child process, driven through stdio as the add-on drives it. */
import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import readline from 'node:readline'
import { waitFor } from './server.js'
import { ROOT, cliArgs } from './spawn-server.js'

export type Msg = Record<string, unknown> & { type: string }

export class AgentProcess {
  readonly messages: Msg[] = []
  stderr = ''
  private constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => this.messages.push(JSON.parse(l) as Msg))
    child.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString()))
  }

  static start(url: string, room: string, name: string, journalDir: string, extra: string[] = []): AgentProcess {
    const child = spawn(process.execPath, cliArgs('agent', '--url', url, '--room', room, '--name', name, '--journal-dir', journalDir, ...extra), { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    return new AgentProcess(child)
  }

  send(op: unknown): void {
    this.child.stdin!.write((typeof op === 'string' ? op : JSON.stringify(op)) + '\n')
  }

  of<T extends Msg>(type: string): T[] {
    return this.messages.filter((m) => m.type === type) as T[]
  }

  async waitFor(pred: (m: Msg) => boolean, what: string, ms = 15_000): Promise<Msg> {
    await waitFor(() => this.messages.some(pred), ms, `${what} (agent stderr: ${this.stderr.slice(-500)})`)
    return this.messages.find(pred)!
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve()
      this.child.once('exit', () => resolve())
      this.child.kill(signal)
    })
  }

  /** Closes stdin, as Blender does when it quits; the agent exits on its own. */
  end(): Promise<number | null> {
    return new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code))
      this.child.stdin!.end()
    })
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}
