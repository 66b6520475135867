/**
 * The logger library code takes instead of using `console`. The CLI supplies
 * pino (src/pino-logger.ts); tests pass `silentLogger` or collect.
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
