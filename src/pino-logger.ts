/**
 * The CLI's Logger: pino, JSON lines on stderr (stdout belongs to commands'
 * output, and to the agent's protocol). On a terminal the lines are made
 * readable by pino-pretty; piped or redirected they stay JSON for machines.
 */
import { pino, type DestinationStream, type Logger as Pino } from 'pino'
import pretty from 'pino-pretty'
import type { Level, Logger } from './logger.js'

export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error']

export interface LoggerOptions {
  level?: Level
  /** Human-readable lines instead of JSON; default: when stderr is a terminal. */
  pretty?: boolean
  /** Where lines go; default stderr. Tests pass a stream to read them back. */
  destination?: DestinationStream
}

export function isLevel(s: string): s is Level {
  return (LEVELS as readonly string[]).includes(s)
}

function wrap(p: Pino): Logger {
  // Our call sites put the message first and fields second; pino wants the reverse.
  const at = (level: Level) => (msg: string, fields?: Record<string, unknown>) => (fields ? p[level](fields, msg) : p[level](msg))
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info'
  const readable = opts.pretty ?? (opts.destination === undefined && process.stderr.isTTY === true)
  const destination = opts.destination ?? (readable ? pretty({ destination: 2, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination({ dest: 2, sync: true }))
  return wrap(pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination))
}
