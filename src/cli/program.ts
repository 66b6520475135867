/**
 * The `scenesync` command tree: each command's flags come from its own file;
 * what runs them (loggers, signals, where output goes) is wired here.
 */
import fs from 'node:fs'
import { Command } from 'commander'
import type { Level } from '../logger.js'
import { createLogger } from '../pino-logger.js'
import { agentCommand } from './agent.js'
import { backupCommand, describeBackup, runBackup } from './backup.js'
import { checkCommand, runCheck } from './check.js'
import { epilog } from './command-line.js'
import { exitCodesHelp } from './exit-codes.js'
import { exportCommand } from './export.js'
import { projectCommand, runProject } from './project.js'
import { queryCommand } from './query.js'
import { serveCommand, startServe } from './serve.js'
import { tokenCommand } from './token.js'

export interface ProgramIo {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  /** The exit code when a command decides it (`check` exits 6 for damaged data). */
  setExitCode(code: number): void
}

function version(): string {
  // dist/cli/ and src/cli/ both sit two folders below package.json.
  try {
    return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

export function buildProgram(io: ProgramIo): Command {
  const line = (s: string) => io.stdout.write(s + '\n')
  const program = new Command('scenesync')
    .description('Several people editing one Blender scene, every movement kept in an event log and queryable at any past moment.')
    .usage('<command> [options]   (scenesync <command> --help explains one)')
    .version(version(), '-V, --version', 'print the version')
  program.addCommand(
    serveCommand(async (options, f) => {
      const logger = createLogger({ level: f.logLevel as Level })
      const running = await startServe(options, logger)
      io.stderr.write(`scenesync serving ${running.url} — Ctrl-C to stop\n`)
      await new Promise<void>((resolve) => {
        const stop = () => void running.stop().then(resolve)
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    }),
  )
  program.addCommand(
    agentCommand(async (options, level) => {
      const { runAgent } = await import('../agent/main.js')
      io.setExitCode(await runAgent(options, createLogger({ level: level as Level })))
    }),
  )
  program.addCommand(tokenCommand(line))
  program.addCommand(queryCommand(line))
  program.addCommand(exportCommand(io.stdout, io.stderr))
  program.addCommand(projectCommand((f) => runProject(f, io.stderr, createLogger({ level: f.logLevel as Level }))))
  program.addCommand(checkCommand(async (f) => io.setExitCode(await runCheck(f, line))))
  program.addCommand(backupCommand(async (dest, data) => void line(describeBackup(await runBackup(dest, data)))))
  return epilog(program, exitCodesHelp())
}
