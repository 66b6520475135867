/** `scenesync token`: prints a token for a room (or room pattern). */
import { Command, Option } from 'commander'
import { type Role, makeToken, parseDuration } from '../server/tokens.js'
import { UsageError } from './args.js'
import { epilog, required } from './command-line.js'

interface TokenFlags {
  room: string
  role: string
  ttl: string
  name?: string
  secret?: string
}

export function tokenCommand(print: (token: string) => void, nowMs: () => number = Date.now): Command {
  const cmd = new Command('token')
    .summary('print an access token')
    .description('Prints an access token (a JSON Web Token signed HS256 with the server\'s secret) for a room, or for every room a pattern matches (* matches any run of characters).')
    .usage('--room ROOM|PATTERN --role read|write [--ttl 12h] [--name NAME] --secret S')
    .addOption(required(new Option('--room <room>', 'the room, or a pattern such as studio-*')))
    .addOption(new Option('--role <role>', 'read: sync and see presence; write: also edit').default('write'))
    .option('--ttl <duration>', 'how long it is valid: 90s, 30m, 12h, 7d', '12h')
    .option('--name <name>', 'the name recorded as the origin of its edits')
    .addOption(new Option('--secret <s>', "the server's secret").env('SCENESYNC_SECRET'))
    .action(async (f: TokenFlags) => {
      if (f.role !== 'read' && f.role !== 'write') throw new UsageError(`--role must be read or write, got ${JSON.stringify(f.role)}`)
      if (!f.secret) throw new UsageError('--secret (or SCENESYNC_SECRET) is required')
      let ttl: number
      try {
        ttl = parseDuration(f.ttl)
      } catch (e) {
        throw new UsageError(`--ttl: ${(e as Error).message}`)
      }
      print(await makeToken(f.secret, { room: f.room, role: f.role as Role, exp: Math.floor(nowMs() / 1000) + ttl, ...(f.name ? { name: f.name } : {}) }))
    })
  return epilog(
    cmd,
    `The token carries the claims room, role, exp (its expiry) and name. Tokens from an identity
provider (RS256, ES256, EdDSA) with the same claims work too: scenesync serve --jwks FILE.`,
  )
}
