/** `scenesync token`: prints an HMAC-signed token for a room (or room pattern). */
import { type Role, makeToken, parseDuration } from '../server/tokens.js'
import { UsageError, flag, parseArgs } from './args.js'

export const TOKEN_HELP = 'scenesync token --room ROOM|PATTERN --role read|write [--ttl 12h] [--name NAME] --secret S (or SCENESYNC_SECRET)'

export function runToken(argv: readonly string[], nowMs = Date.now()): string {
  const p = parseArgs(argv, { values: ['room', 'role', 'ttl', 'secret', 'name'] })
  const room = p.flags.get('room')
  const role = p.flags.get('role') ?? 'write'
  const secret = flag(p, 'secret', 'SCENESYNC_SECRET')
  if (!room) throw new UsageError(`--room is required\n${TOKEN_HELP}`)
  if (role !== 'read' && role !== 'write') throw new UsageError(`--role must be read or write, got ${JSON.stringify(role)}`)
  if (!secret) throw new UsageError(`--secret (or SCENESYNC_SECRET) is required\n${TOKEN_HELP}`)
  let ttl: number
  try {
    ttl = parseDuration(p.flags.get('ttl') ?? '12h')
  } catch (e) {
    throw new UsageError(`--ttl: ${(e as Error).message}`)
  }
  const name = p.flags.get('name')
  return makeToken(secret, { room, role: role as Role, exp: Math.floor(nowMs / 1000) + ttl, ...(name ? { name } : {}) })
}
