/**
 * The `scenesync` command's exit codes: the one list, shown by `scenesync
 * --help` and copied into the README (a test keeps the two equal).
 */
import { CommanderError } from 'commander'
import { LogLockedError } from '../log/errors.js'
import { UsageError } from './args.js'

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, LOCKED: 3, STORE_UNAVAILABLE: 4, CONFIG: 5, DAMAGED: 6 } as const

export const EXIT_CODES: ReadonlyArray<readonly [code: number, meaning: string]> = [
  [EXIT.OK, 'ok'],
  [EXIT.FAILURE, 'failure (anything not listed below)'],
  [EXIT.USAGE, 'usage: an unknown command or flag, a missing or bad value, an unknown room or object'],
  [EXIT.LOCKED, 'the data folder (its log or its projection) is in use by another process'],
  [EXIT.STORE_UNAVAILABLE, 'the chosen store is unavailable (the FoundationDB client is missing)'],
  [EXIT.CONFIG, 'configuration refused (a public bind without a secret or keys; an unreadable key file)'],
  [EXIT.DAMAGED, 'damaged data: a log or projection file failed a check, or `check` found the projection differs from its log'],
]

export function exitCodesHelp(): string {
  return `Exit codes:\n${EXIT_CODES.map(([c, m]) => `  ${c}  ${m}`).join('\n')}`
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError || e instanceof CommanderError) return EXIT.USAGE
  if (e instanceof LogLockedError) return EXIT.LOCKED
  const code = (e as { code?: string }).code
  if (code === 'projection_locked') return EXIT.LOCKED
  if (code === 'fdb_unavailable') return EXIT.STORE_UNAVAILABLE
  if (code === 'config') return EXIT.CONFIG
  if (code === 'corrupt') return EXIT.DAMAGED
  return EXIT.FAILURE
}
