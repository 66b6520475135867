/**
 * The logger library code takes instead of using `console`. The CLI supplies
 * one that writes JSON lines to stderr; tests pass `silentLogger` or collect.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

const noop = () => {}
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/** JSON lines to a writer (process.stderr in the CLI), from `min` up. */
export function jsonLogger(write: (line: string) => void, min: Level = 'info', base: Record<string, unknown> = {}): Logger {
  const at = (level: Level) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < ORDER[min]) return
    write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...base, ...fields }) + '\n')
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
