/**
 * HMAC-signed access tokens: `base64url(payload JSON) . base64url(HMAC-SHA256)`.
 * Payload: room (a name, or a pattern where `*` matches any run of characters),
 * role (read | write), exp (unix seconds), and an optional display name.
 */
import crypto from 'node:crypto'

export type Role = 'read' | 'write'

export interface TokenClaims {
  room: string
  role: Role
  /** Expiry, unix seconds. */
  exp: number
  name?: string
}

export class TokenError extends Error {
  constructor(
    readonly code: 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'wrong_room',
    message: string,
  ) {
    super(message)
  }
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url')

function sign(secret: string, payload: string): string {
  return crypto.createHmac('sha256', secret).update(payload).digest('base64url')
}

export function makeToken(secret: string, claims: TokenClaims): string {
  if (!secret) throw new Error('a token needs a secret')
  if (claims.role !== 'read' && claims.role !== 'write') throw new Error(`role must be read or write, got ${JSON.stringify(claims.role)}`)
  const payload = b64(JSON.stringify(claims))
  return `${payload}.${sign(secret, payload)}`
}

export function roomMatches(pattern: string, room: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
  return re.test(room)
}

/** Verifies a token for a room; throws TokenError naming what is wrong. */
export function verifyToken(secret: string, token: string | null | undefined, room: string, nowMs = Date.now()): TokenClaims {
  const claims = readToken(secret, token, nowMs)
  if (!roomMatches(claims.room, room)) throw new TokenError('wrong_room', `token is for room ${JSON.stringify(claims.room)}, not ${JSON.stringify(room)}`)
  return claims
}

/** Verifies a token's signature, shape and expiry, whatever room it names (listing the rooms it may read). */
export function readToken(secret: string, token: string | null | undefined, nowMs = Date.now()): TokenClaims {
  if (!token) throw new TokenError('missing', 'no token: pass ?token= on the WebSocket URL or Authorization: Bearer on HTTP')
  const dot = token.indexOf('.')
  if (dot <= 0) throw new TokenError('malformed', 'malformed token')
  const payload = token.slice(0, dot)
  const sig = Buffer.from(token.slice(dot + 1), 'base64url')
  const want = Buffer.from(sign(secret, payload), 'base64url')
  if (sig.length !== want.length || !crypto.timingSafeEqual(sig, want)) throw new TokenError('bad_signature', 'token signature does not match this server')
  let claims: TokenClaims
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims
  } catch {
    throw new TokenError('malformed', 'malformed token payload')
  }
  if (typeof claims.room !== 'string' || (claims.role !== 'read' && claims.role !== 'write') || typeof claims.exp !== 'number') {
    throw new TokenError('malformed', 'token payload lacks room, role or exp')
  }
  if (claims.exp * 1000 <= nowMs) throw new TokenError('expired', `token expired at ${new Date(claims.exp * 1000).toISOString()}`)
  return claims
}

/** Parses a duration such as 90s, 30m, 12h, 7d (or plain seconds). */
export function parseDuration(raw: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(raw.trim())
  if (!m) throw new Error(`duration must look like 90s, 30m, 12h or 7d, got ${JSON.stringify(raw)}`)
  const n = Number(m[1])
  return n * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]!]!
}
