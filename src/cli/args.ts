/**
 * A small flag parser: `--name value`, `--name=value`, boolean `--flag`.
 * Unknown flags are usage errors, so a typo never silently does nothing.
 */

export class UsageError extends Error {
  readonly code = 'usage'
}

export interface FlagSpec {
  /** Flags that take a value. */
  values?: readonly string[]
  /** Flags that are true when present. */
  booleans?: readonly string[]
}

export interface Parsed {
  positional: string[]
  flags: Map<string, string>
  bools: Set<string>
}

export function parseArgs(argv: readonly string[], spec: FlagSpec): Parsed {
  const values = new Set(spec.values ?? [])
  const booleans = new Set(spec.booleans ?? [])
  const out: Parsed = { positional: [], flags: new Map(), bools: new Set() }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--')) {
      out.positional.push(a)
      continue
    }
    const eq = a.indexOf('=')
    const name = a.slice(2, eq === -1 ? undefined : eq)
    if (booleans.has(name) && eq === -1) {
      out.bools.add(name)
      continue
    }
    if (!values.has(name)) throw new UsageError(`unknown flag --${name}`)
    const value = eq === -1 ? argv[++i] : a.slice(eq + 1)
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`)
    out.flags.set(name, value)
  }
  return out
}

/** A flag's value, else the environment variable, else the default. */
export function flag(p: Parsed, name: string, env: string | undefined, fallback: string): string
export function flag(p: Parsed, name: string, env?: string): string | undefined
export function flag(p: Parsed, name: string, env?: string, fallback?: string): string | undefined {
  return p.flags.get(name) ?? (env ? process.env[env] : undefined) ?? fallback
}

export function intFlag(p: Parsed, name: string, env: string | undefined, fallback: number): number {
  const raw = flag(p, name, env)
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`)
  return n
}

/** A point of history: digits are a log position, anything else a date/time. */
export function parseAt(raw: string, name: string): { seq: number } | { time: number } {
  if (/^\d+$/.test(raw)) return { seq: Number(raw) }
  const t = Date.parse(raw)
  if (Number.isNaN(t)) throw new UsageError(`--${name} must be a log position (digits) or a date/time such as 2026-11-24T10:00:00Z, got ${JSON.stringify(raw)}`)
  return { time: t }
}
