#!/usr/bin/env node
/**
 * The `scenesync` command. Exit codes: 0 ok, 1 failure, 2 usage error,
 * 3 data folder in use by another process, 4 store unavailable (FoundationDB
 * client missing), 5 configuration refused (e.g. a public bind without a secret),
 * 6 damaged data (a log or projection file failed a check, or `check` found the
 * projection differs from its log).
 */
import { LogLockedError } from '../log/errors.js'
import { createLogger, isLevel } from '../pino-logger.js'
import { UsageError } from './args.js'
import { EXPORT_HELP, runExport } from './export.js'
import { BACKUP_HELP, describeBackup, runBackup } from './backup.js'
import { CHECK_HELP, runCheck } from './check.js'
import { runProject } from './project.js'
import { QUERY_HELP, runQuery } from './query.js'
import { SERVE_HELP, startServe } from './serve.js'
import { TOKEN_HELP, runToken } from './token.js'

const HELP = `scenesync — several people editing one Blender scene, every movement kept

  scenesync serve     the server with the event log and the projection
  scenesync agent     the bridge process the Blender add-on starts
  scenesync token     print an access token
  scenesync query     time-travel reads of the projection
  scenesync export    a time range as a glTF, CSV or Parquet file
  scenesync project --rebuild   rebuild the projection from the log
  scenesync check     integrity of the log and projection
  scenesync backup    online copy of the log and projection

${SERVE_HELP}
${TOKEN_HELP}
${QUERY_HELP}
${EXPORT_HELP}
${CHECK_HELP}
${BACKUP_HELP}`

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, LOCKED: 3, STORE_UNAVAILABLE: 4, CONFIG: 5, DAMAGED: 6 } as const

function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT.USAGE
  if (e instanceof LogLockedError) return EXIT.LOCKED
  const code = (e as { code?: string }).code
  if (code === 'projection_locked') return EXIT.LOCKED
  if (code === 'fdb_unavailable') return EXIT.STORE_UNAVAILABLE
  if (code === 'config') return EXIT.CONFIG
  if (code === 'corrupt') return EXIT.DAMAGED
  return EXIT.FAILURE
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  const raw = process.env.SCENESYNC_LOG_LEVEL ?? 'info'
  if (!isLevel(raw)) throw new UsageError(`SCENESYNC_LOG_LEVEL must be debug, info, warn or error, got ${JSON.stringify(raw)}`)
  const logger = createLogger({ level: raw })
  switch (cmd) {
    case 'serve': {
      const running = await startServe(rest, logger)
      process.stderr.write(`scenesync serving ${running.url} — Ctrl-C to stop\n`)
      await new Promise<void>((resolve) => {
        const stop = () => void running.stop().then(resolve)
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      return EXIT.OK
    }
    case 'agent': {
      const { runAgent } = await import('../agent/main.js')
      return runAgent(rest, logger)
    }
    case 'token':
      process.stdout.write(runToken(rest) + '\n')
      return EXIT.OK
    case 'query':
      runQuery(rest, (s) => process.stdout.write(s + '\n'))
      return EXIT.OK
    case 'export':
      await runExport(rest, process.stdout, process.stderr)
      return EXIT.OK
    case 'backup':
      process.stdout.write(describeBackup(await runBackup(rest)) + '\n')
      return EXIT.OK
    case 'check':
      return runCheck(rest, (line) => process.stdout.write(line + '\n'))
    case 'project':
      await runProject(rest, process.stderr, logger)
      return EXIT.OK
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP + '\n')
      return cmd === undefined ? EXIT.USAGE : EXIT.OK
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd)}\n\n${HELP}`)
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`scenesync: ${(e as Error).message}\n`)
    process.exit(exitCodeOf(e))
  },
)
