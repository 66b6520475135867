#!/usr/bin/env node
/**
 * The `scenesync` command. Its exit codes are listed in exit-codes.ts (and
 * printed by `scenesync --help`): 0 ok, 1 failure, 2 usage error, 3 data
 * folder in use by another process, 4 store unavailable, 5 configuration
 * refused, 6 damaged data.
 */
import { HelpNeeded, prepare, run } from './command-line.js'
import { EXIT, exitCodeOf } from './exit-codes.js'
import { buildProgram } from './program.js'

let code: number = EXIT.OK
const program = buildProgram({ stdout: process.stdout, stderr: process.stderr, setExitCode: (c) => (code = c) })
prepare(program, { out: (s) => process.stdout.write(s) })

run(program, process.argv.slice(2)).then(
  () => process.exit(code),
  (e: unknown) => {
    // Without a command there is nothing wrong to name: the help says what there is.
    process.stderr.write(e instanceof HelpNeeded ? `${e.message}\n` : `scenesync: ${(e as Error).message}\n`)
    process.exit(exitCodeOf(e))
  },
)
