/**
 * How every `scenesync` command line is parsed: commander, made to throw
 * instead of exiting (so one place maps errors to exit codes), to say what
 * was wrong in our words (`unknown flag --prot (Did you mean --port?)`,
 * `--room is required`) followed by that command's help, and to print help
 * whose first line is the command's synopsis.
 */
import { Command, CommanderError, Help, Option } from 'commander'
import type { Level } from '../logger.js'
import { LEVELS } from '../pino-logger.js'
import { UsageError } from './args.js'

/** `scenesync` or `scenesync query` without a subcommand: the message is that command's help. */
export class HelpNeeded extends UsageError {}

/** Where a command line's help goes (`--help` prints to stdout). */
export interface HelpOutput {
  out(text: string): void
}

const epilogs = new WeakMap<Command, string>()
const mandatory = new WeakSet<Option>()

/**
 * An option that must have a value (from the command line or its environment
 * variable). Checked after unknown flags, unlike commander's requiredOption,
 * so a misspelt `--objcet` is named rather than reported as `--object` missing.
 */
export function required(option: Option): Option {
  mandatory.add(option)
  option.description = `${option.description} (required)`
  return option
}

/** Text shown at the end of a command's help (examples, exit codes, files). */
export function epilog<C extends Command>(cmd: C, text: string): C {
  epilogs.set(cmd, text)
  return cmd
}

function formatHelp(cmd: Command, helper: Help): string {
  // commander starts with "Usage: "; ours start with the synopsis people copy.
  const text = Help.prototype.formatHelp.call(helper, cmd, helper).replace(/^Usage: /, '')
  const tail = epilogs.get(cmd)
  return tail ? `${text.trimEnd()}\n\n${tail.trimEnd()}\n` : text
}

/** commander's message, in the words our commands have always used. */
export function reword(e: CommanderError): string {
  const m = e.message.replace(/^error: /, '')
  const flagOf = (spec: string) => /--[\w-]+/.exec(spec)?.[0] ?? spec
  let r: RegExpExecArray | null
  switch (e.code) {
    case 'commander.unknownOption':
      if ((r = /^unknown option '([^']*)'(.*)$/s.exec(m))) return `unknown flag ${r[1]}${r[2]!.replace(/^\s*\(Did you mean (.*)\?\)$/s, ' (did you mean $1?)')}`
      break
    case 'commander.unknownCommand':
      if ((r = /^unknown command '([^']*)'(.*)$/s.exec(m))) return `unknown command ${JSON.stringify(r[1])}${r[2]!.replace(/^\s*\(Did you mean (.*)\?\)$/s, ' (did you mean $1?)')}`
      break
    case 'commander.missingMandatoryOptionValue':
      if ((r = /^required option '([^']*)' not specified/.exec(m))) return `${flagOf(r[1]!)} is required`
      break
    case 'commander.optionMissingArgument':
      if ((r = /^option '([^']*)' argument missing/.exec(m))) return `${flagOf(r[1]!)} needs a value`
      break
    case 'commander.missingArgument':
      if ((r = /^missing required argument '([^']*)'/.exec(m))) return `${r[1]!.toUpperCase()} is required`
      break
    case 'commander.invalidArgument':
      if ((r = /^option '([^']*)' argument '.*' is invalid\. (.*)$/s.exec(m))) return `${flagOf(r[1]!)} ${r[2]}`
      if ((r = /^option '([^']*)' value '.*' from env '([^']*)' is invalid\. (.*)$/s.exec(m))) return `$${r[2]} (for ${flagOf(r[1]!)}) ${r[3]}`
      break
  }
  return m
}

/** A tree of commands made ours (see the top of this file); returns `root`. */
export function prepare(root: Command, help: HelpOutput): Command {
  const visit = (cmd: Command) => {
    cmd
      .exitOverride((e) => {
        // --help, --version, `help <command>`: done, nothing wrong.
        if (e.exitCode === 0) throw e
        if (e.code === 'commander.help') throw new HelpNeeded(cmd.helpInformation().trimEnd())
        throw new UsageError(`${reword(e)}\n\n${cmd.helpInformation().trimEnd()}`)
      })
      .configureOutput({ writeOut: (s) => help.out(s), writeErr: () => {}, outputError: () => {} })
      .configureHelp({ formatHelp, showGlobalOptions: false })
      .showSuggestionAfterError(true)
    for (const sub of cmd.commands) visit(sub)
  }
  visit(root)
  // A root's hooks run before the action of any command below it.
  root.hook('preAction', (_root, actioned) => {
    for (const o of actioned.options) {
      if (mandatory.has(o) && actioned.getOptionValue(o.attributeName()) === undefined) {
        throw new UsageError(`${o.long} is required\n\n${actioned.helpInformation().trimEnd()}`)
      }
    }
  })
  return root
}

const finished = (e: unknown) => e instanceof CommanderError && e.exitCode === 0

/** Parses `argv` (the words after the program name) and runs the chosen command's action. */
export async function run(root: Command, argv: readonly string[]): Promise<void> {
  try {
    await root.parseAsync([...argv], { from: 'user' })
  } catch (e) {
    if (!finished(e)) throw e
  }
}

/** The same for commands whose actions are synchronous, so errors are thrown synchronously. */
export function runSync(root: Command, argv: readonly string[]): void {
  try {
    root.parse([...argv], { from: 'user' })
  } catch (e) {
    if (!finished(e)) throw e
  }
}

/** `--log-level`, also `SCENESYNC_LOG_LEVEL`: what reaches stderr. */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log lines at this level and above reach stderr (JSON lines; readable on a terminal)')
    .choices(LEVELS as readonly Level[] as string[])
    .env('SCENESYNC_LOG_LEVEL')
    .default('info')
}
