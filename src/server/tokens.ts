/**
 * Access tokens: JSON Web Tokens (RFC 7519) through `jose`. Claims: `room` (a
 * name, or a pattern where `*` matches any run of characters), `role` (read |
 * write), `exp` (unix seconds, required) and an optional display `name`.
 *
 * A server accepts HS256 tokens signed with its `--secret` (what `scenesync
 * token` mints) and, when given `--jwks FILE` or `--public-key FILE`, tokens an
 * identity provider signed with RS256, ES256/384/512 or EdDSA. Each key is used
 * only with the algorithms of its own type, so a token "signed" HS256 with a
 * public key as the secret, or one with `alg: none`, is refused.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { type JWK, type JWTPayload, type JWTVerifyGetKey, SignJWT, createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose'

export type Role = 'read' | 'write'

export interface TokenClaims {
  room: string
  role: Role
  /** Expiry, unix seconds. */
  exp: number
  name?: string
}

export type TokenErrorCode = 'missing' | 'malformed' | 'bad_signature' | 'wrong_algorithm' | 'expired' | 'bad_claims' | 'wrong_room'

export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/** A key file that cannot be used: the server refuses to start (exit 5). */
export class TokenConfigError extends Error {
  readonly code = 'config'
}

export interface TokenKeys {
  /** HS256 shared secret (`--secret`). */
  secret?: string | null
  /** A JSON Web Key Set file (`--jwks`): the identity provider's public keys. */
  jwksFile?: string
  /** A PEM public key or certificate (`--public-key`). */
  publicKeyFile?: string
  /** When set, tokens must carry this `iss`. */
  issuer?: string
  /** When set, tokens must carry this `aud`. */
  audience?: string
}

const HS = 'HS256'

/** The algorithms a public key may verify, by its type. */
function algorithmsOf(key: crypto.KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256']
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve
      const alg = ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as Record<string, string>)[curve ?? '']
      if (!alg) throw new TokenConfigError(`an EC key on curve ${curve} cannot verify tokens (P-256, P-384 or P-521)`)
      return [alg]
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519']
    default:
      throw new TokenConfigError(`a ${key.asymmetricKeyType} key cannot verify tokens (RSA, EC or Ed25519)`)
  }
}

function readFile(file: string, flag: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (e) {
    throw new TokenConfigError(`${flag} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
  }
}

function loadPublicKey(file: string): crypto.KeyObject {
  const text = readFile(file, '--public-key')
  try {
    const key = text.includes('BEGIN CERTIFICATE') ? new crypto.X509Certificate(text).publicKey : crypto.createPublicKey(text)
    if (key.type !== 'public') throw new Error('not a public key')
    return key
  } catch (e) {
    throw new TokenConfigError(`--public-key ${file}: not a PEM public key or certificate (${(e as Error).message})`)
  }
}

function loadJwks(file: string): { keys: JWK[]; algorithms: string[] } {
  let set: { keys?: unknown }
  try {
    set = JSON.parse(readFile(file, '--jwks')) as { keys?: unknown }
  } catch (e) {
    if (e instanceof TokenConfigError) throw e
    throw new TokenConfigError(`--jwks ${file}: not JSON (${(e as Error).message})`)
  }
  if (!Array.isArray(set.keys) || set.keys.length === 0) throw new TokenConfigError(`--jwks ${file}: a JSON Web Key Set has a non-empty "keys" array`)
  const algorithms = new Set<string>()
  for (const [i, k] of (set.keys as JWK[]).entries()) {
    // A shared secret published in a key set is a secret no longer: use --secret.
    if (k.kty === 'oct') throw new TokenConfigError(`--jwks ${file}: key ${i} is a symmetric ("oct") key; a key set holds public keys (pass a shared secret with --secret)`)
    let key: crypto.KeyObject
    try {
      key = crypto.createPublicKey({ key: k as crypto.JsonWebKey, format: 'jwk' })
    } catch (e) {
      throw new TokenConfigError(`--jwks ${file}: key ${i} is not a usable public key (${(e as Error).message})`)
    }
    const own = algorithmsOf(key)
    if (k.alg && !own.includes(k.alg)) throw new TokenConfigError(`--jwks ${file}: key ${i} says alg ${k.alg}, which a ${key.asymmetricKeyType} key cannot verify`)
    for (const a of k.alg ? [k.alg] : own) algorithms.add(a)
  }
  return { keys: set.keys as JWK[], algorithms: [...algorithms] }
}

export function roomMatches(pattern: string, room: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
  return re.test(room)
}

/** What a server accepts: its secret and its identity provider's public keys. */
export class TokenVerifier {
  /** Every algorithm some key of this server verifies. */
  readonly algorithms: readonly string[]
  private readonly getKey: JWTVerifyGetKey
  private readonly options: { issuer?: string; audience?: string }

  /** Reads the key files now: a bad one is refused before the server starts. */
  constructor(keys: TokenKeys) {
    const secret = keys.secret ? new TextEncoder().encode(keys.secret) : null
    if (keys.jwksFile && keys.publicKeyFile) throw new TokenConfigError('pass --jwks or --public-key, not both')
    const jwks = keys.jwksFile ? loadJwks(keys.jwksFile) : null
    const localSet = jwks ? createLocalJWKSet({ keys: jwks.keys }) : null
    const publicKey = keys.publicKeyFile ? loadPublicKey(keys.publicKeyFile) : null
    const algorithms = [...(secret ? [HS] : []), ...(jwks?.algorithms ?? []), ...(publicKey ? algorithmsOf(publicKey) : [])]
    if (algorithms.length === 0) throw new TokenConfigError('tokens need a secret, a key set or a public key')
    this.algorithms = algorithms
    this.options = { ...(keys.issuer ? { issuer: keys.issuer } : {}), ...(keys.audience ? { audience: keys.audience } : {}) }
    // The algorithm picks the key, and only keys of its kind: never the public key as an HMAC secret.
    this.getKey = async (header, token) => {
      if (header.alg === HS) {
        if (secret) return secret
      } else if (localSet) return localSet(header, token)
      else if (publicKey) return publicKey
      throw new errors.JOSEAlgNotAllowed(`alg ${header.alg} not allowed`)
    }
  }

  /** True when this server checks tokens at all (a secret or keys were given). */
  static configured(keys: TokenKeys): boolean {
    return Boolean(keys.secret || keys.jwksFile || keys.publicKeyFile)
  }

  /** Verifies a token for a room; rejects with a TokenError naming what is wrong. */
  async verify(token: string | null | undefined, room: string, nowMs = Date.now()): Promise<TokenClaims> {
    const claims = await this.read(token, nowMs)
    if (!roomMatches(claims.room, room)) throw new TokenError('wrong_room', `token is for room ${JSON.stringify(claims.room)}, not ${JSON.stringify(room)}`)
    return claims
  }

  /** Verifies a token's signature, algorithm, claims and expiry, whatever room it names (listing the rooms it may read). */
  async read(token: string | null | undefined, nowMs = Date.now()): Promise<TokenClaims> {
    if (!token) throw new TokenError('missing', 'no token: pass ?token= on the WebSocket URL or Authorization: Bearer on HTTP')
    let alg: unknown
    try {
      alg = decodeProtectedHeader(token).alg
    } catch {
      throw new TokenError('malformed', 'malformed token: not a JSON Web Token (header.payload.signature)')
    }
    if (typeof alg !== 'string' || !this.algorithms.includes(alg)) {
      throw new TokenError('wrong_algorithm', `token algorithm ${JSON.stringify(alg ?? null)} is not accepted by this server (it accepts ${this.algorithms.join(', ')})`)
    }
    let payload: JWTPayload
    try {
      payload = (await jwtVerify(token, this.getKey, { algorithms: [...this.algorithms], currentDate: new Date(nowMs), requiredClaims: ['exp'], ...this.options })).payload
    } catch (e) {
      throw asTokenError(e)
    }
    const { room: claimRoom, role, exp, name } = payload as Record<string, unknown>
    if (typeof claimRoom !== 'string' || (role !== 'read' && role !== 'write') || typeof exp !== 'number') {
      throw new TokenError('malformed', 'token payload lacks room, role (read or write) or exp')
    }
    if (name !== undefined && typeof name !== 'string') throw new TokenError('malformed', 'token name must be a string')
    return { room: claimRoom, role, exp, ...(name ? { name } : {}) }
  }
}

function asTokenError(e: unknown): TokenError {
  if (e instanceof errors.JWTExpired) {
    const exp = (e.payload as { exp?: unknown }).exp
    return new TokenError('expired', `token expired${typeof exp === 'number' ? ` at ${new Date(exp * 1000).toISOString()}` : ''}`)
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return new TokenError('bad_signature', 'token signature does not match this server')
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) return new TokenError('bad_signature', `no single key of this server's key set matches the token (${e.message})`)
  if (e instanceof errors.JOSEAlgNotAllowed) return new TokenError('wrong_algorithm', 'token algorithm is not accepted by this server')
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'exp') return new TokenError('malformed', 'token payload lacks exp')
    return new TokenError('bad_claims', `token claim ${e.claim} is not accepted: ${e.reason}`)
  }
  if (e instanceof errors.JOSEError) return new TokenError('malformed', `malformed token: ${e.message}`)
  // jose refuses a key of the wrong kind for the token's algorithm with a TypeError.
  if (e instanceof TypeError) return new TokenError('bad_signature', `token cannot be verified with this server's keys: ${e.message}`)
  throw e
}

/** An HS256 token signed with `secret` (what `scenesync token` prints). */
export async function makeToken(secret: string, claims: TokenClaims): Promise<string> {
  if (!secret) throw new Error('a token needs a secret')
  if (claims.role !== 'read' && claims.role !== 'write') throw new Error(`role must be read or write, got ${JSON.stringify(claims.role)}`)
  const { exp, ...rest } = claims
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: HS, typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret))
}

/** Verifies an HS256 token against one secret (tests, tools). */
export function verifyToken(secret: string, token: string | null | undefined, room: string, nowMs = Date.now()): Promise<TokenClaims> {
  return new TokenVerifier({ secret }).verify(token, room, nowMs)
}

/** Parses a duration such as 90s, 30m, 12h, 7d (or plain seconds). */
export function parseDuration(raw: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(raw.trim())
  if (!m) throw new Error(`duration must look like 90s, 30m, 12h or 7d, got ${JSON.stringify(raw)}`)
  const n = Number(m[1])
  return n * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]!]!
}
