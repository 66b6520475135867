/** `scenesync serve` as a real child process, for tests that kill it. */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '..', '..')

/** argv for running the CLI from source: node --import tsx src/cli/main.ts ... */
export function cliArgs(...args: string[]): string[] {
  return ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args]
}

export interface ServerProcess {
  child: ChildProcess
  url: string
  http: string
  stderr: () => string
  kill(signal?: NodeJS.Signals): Promise<number | null>
}

export async function spawnServer(dir: string, extra: string[] = [], port = 0): Promise<ServerProcess> {
  const child = spawn(process.execPath, cliArgs('serve', '--port', String(port), '--data', dir, ...extra), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 20_000)
    const check = () => {
      // The line `serve` prints for people, independent of the log format.
      const m = /scenesync serving (ws:\/\/\S+)/.exec(err)
      if (m) {
        clearTimeout(t)
        resolve(m[1]!)
      }
    }
    child.stderr!.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(t)
      reject(new Error(`server exited with ${code}: ${err}`))
    })
  })
  return {
    child,
    url,
    http: url.replace('ws://', 'http://'),
    stderr: () => err,
    kill: (signal = 'SIGKILL') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode)
        child.once('exit', (code) => resolve(code))
        child.kill(signal)
      }),
  }
}
