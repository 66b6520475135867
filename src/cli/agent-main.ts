#!/usr/bin/env node
/**
 * The agent alone: the entry of the bundle the Blender add-on carries
 * (scripts/bundle-agent.mjs), so an artist needs Node.js and nothing else.
 * Same flags and exit codes as `scenesync agent`.
 */
import { Command } from 'commander'
import { runAgent } from '../agent/main.js'
import type { Level } from '../logger.js'
import { createLogger } from '../pino-logger.js'
import { agentCommand } from './agent.js'
import { HelpNeeded, prepare, run } from './command-line.js'
import { EXIT, exitCodeOf } from './exit-codes.js'

let code: number = EXIT.OK
const root: Command = agentCommand(async (options, level) => {
  code = await runAgent(options, createLogger({ level: level as Level }))
}, 'scenesync-agent')
prepare(root, { out: (s) => process.stdout.write(s) })

run(root, process.argv.slice(2)).then(
  () => process.exit(code),
  (e: unknown) => {
    process.stderr.write(e instanceof HelpNeeded ? `${e.message}\n` : `scenesync-agent: ${(e as Error).message}\n`)
    process.exit(exitCodeOf(e))
  },
)
