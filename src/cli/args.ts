/**
 * What the commands share about their arguments: the usage error (exit 2) and
 * the parsers commander calls for values that need checking.
 */
import { InvalidArgumentError } from 'commander'

export class UsageError extends Error {
  readonly code = 'usage'
}

/** A whole number ≥ 0 (ports, limits); a value parser for commander options. */
export function nonNegativeInt(raw: string): number {
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`must be a non-negative integer, got ${JSON.stringify(raw)}`)
  return n
}

/** A point of history: digits are a log position, anything else a date/time. */
export function parseAt(raw: string, name: string): { seq: number } | { time: number } {
  if (/^\d+$/.test(raw)) return { seq: Number(raw) }
  const t = Date.parse(raw)
  if (Number.isNaN(t)) throw new UsageError(`--${name} must be a log position (digits) or a date/time such as 2026-11-24T10:00:00Z, got ${JSON.stringify(raw)}`)
  return { time: t }
}
