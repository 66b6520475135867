/**
 * JSON Web Tokens: what `scenesync token` mints (HS256 with the server's
 * secret) and what an identity provider signs (RS256, ES256, EdDSA, from a key
 * set or a PEM public key). Every refusal names its reason; none of them is a
 * crash, and an algorithm is only ever checked with a key of its own kind.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { TokenConfigError, TokenError, TokenVerifier, makeToken } from '../../src/server/tokens.js'
import { RawClient } from '../helpers/raw-client.js'
import { startServer } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const SECRET = 'team-secret'
const hour = () => Math.floor(Date.now() / 1000) + 3600
const dir = tmpDir()
afterAll(() => rmTmp(dir))

type Pair = Awaited<ReturnType<typeof generateKeyPair>>
const pairs: Record<string, Pair> = {}
async function pair(alg: 'RS256' | 'ES256' | 'EdDSA'): Promise<Pair> {
  pairs[alg] ??= await generateKeyPair(alg, { extractable: true })
  return pairs[alg]!
}

async function jwksFile(algs: Array<'RS256' | 'ES256' | 'EdDSA'>): Promise<string> {
  const keys = []
  for (const alg of algs) keys.push({ ...(await exportJWK((await pair(alg)).publicKey)), alg, kid: `k-${alg}`, use: 'sig' })
  const file = path.join(dir, `jwks-${algs.join('-')}.json`)
  fs.writeFileSync(file, JSON.stringify({ keys }))
  return file
}

async function pemFile(alg: 'RS256' | 'ES256' | 'EdDSA'): Promise<string> {
  const file = path.join(dir, `${alg}.pem`)
  fs.writeFileSync(file, await exportSPKI((await pair(alg)).publicKey))
  return file
}

/** A token as an identity provider signs it. */
async function idpToken(alg: 'RS256' | 'ES256' | 'EdDSA', claims: Record<string, unknown>, kid: string | null = `k-${alg}`): Promise<string> {
  const { exp, ...rest } = { exp: hour(), ...claims } as { exp: number }
  return new SignJWT(rest)
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setExpirationTime(exp)
    .sign((await pair(alg)).privateKey)
}

async function refusal(v: TokenVerifier, token: string | null, room = 'studio'): Promise<TokenError> {
  const e = await v.verify(token, room).then(
    () => null,
    (err: unknown) => err,
  )
  expect(e, 'the token was accepted').toBeInstanceOf(TokenError)
  return e as TokenError
}

describe('tokens', () => {
  it('[S3] scenesync token mints an HS256 JWT with room, role, exp and name that the secret verifies', async () => {
    const t = await makeToken(SECRET, { room: 'studio-*', role: 'read', exp: hour(), name: 'Ann' })
    const [h, p, s] = t.split('.')
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toMatchObject({ alg: 'HS256', typ: 'JWT' })
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toMatchObject({ room: 'studio-*', role: 'read', name: 'Ann' })
    expect(s!.length).toBeGreaterThan(20)
    expect(await new TokenVerifier({ secret: SECRET }).verify(t, 'studio-7')).toMatchObject({ room: 'studio-*', role: 'read', name: 'Ann' })
  })

  it('[S3] forged, tampered, expired, wrong-room and claim-less tokens are refused, each with its reason', async () => {
    const v = new TokenVerifier({ secret: SECRET })
    const good = await makeToken(SECRET, { room: 'studio', role: 'read', exp: hour() })
    const [h, , s] = good.split('.')
    const writePayload = Buffer.from(JSON.stringify({ room: 'studio', role: 'write', exp: hour() })).toString('base64url')
    const cases: Array<[string, string | null, TokenError['code'], RegExp]> = [
      ['missing', null, 'missing', /no token/],
      ['not a JWT', 'garbage', 'malformed', /not a JSON Web Token/],
      ['forged with another secret', await makeToken('guessed', { room: 'studio', role: 'write', exp: hour() }), 'bad_signature', /signature/],
      ['payload swapped for role write', `${h}.${writePayload}.${s}`, 'bad_signature', /signature/],
      ['expired', await makeToken(SECRET, { room: 'studio', role: 'write', exp: Math.floor(Date.now() / 1000) - 10 }), 'expired', /expired at 20/],
      ['for another room', await makeToken(SECRET, { room: 'other', role: 'write', exp: hour() }), 'wrong_room', /"other", not "studio"/],
      ['without exp', await new SignJWT({ room: 'studio', role: 'write' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET)), 'malformed', /exp/],
      ['with role admin', await new SignJWT({ room: 'studio', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(hour()).sign(new TextEncoder().encode(SECRET)), 'malformed', /role/],
    ]
    for (const [what, token, code, reason] of cases) {
      const e = await refusal(v, token)
      expect({ what, code: e.code }).toEqual({ what, code })
      expect(e.message).toMatch(reason)
    }
  })

  it('[S3] alg none and HS256 signed with the public key (algorithm confusion) are refused', async () => {
    const pem = await pemFile('RS256')
    const pemText = fs.readFileSync(pem)
    const claims = { room: 'studio', role: 'write' }
    const none = new UnsecuredJWT(claims).setExpirationTime(hour()).encode()
    // The classic attack: HMAC with the provider's public key (which is public) as the secret.
    const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(hour()).sign(new Uint8Array(pemText))
    const onlyKey = new TokenVerifier({ publicKeyFile: pem })
    expect(onlyKey.algorithms).toEqual(['RS256'])
    for (const t of [none, confused]) expect((await refusal(onlyKey, t)).code).toBe('wrong_algorithm')
    const both = new TokenVerifier({ secret: SECRET, publicKeyFile: pem })
    expect((await refusal(both, none)).code).toBe('wrong_algorithm')
    expect((await refusal(both, confused)).code).toBe('bad_signature')
    // And the other way: an RS256 header on a token a secret-only server gets.
    expect((await refusal(new TokenVerifier({ secret: SECRET }), await idpToken('RS256', claims))).message).toMatch(/algorithm "RS256" is not accepted .*HS256/)
  })

  it("[S3] an identity provider's RS256, ES256 and EdDSA tokens verify through --jwks and --public-key; other keys' do not", async () => {
    const jwks = new TokenVerifier({ jwksFile: await jwksFile(['RS256', 'ES256', 'EdDSA']) })
    expect(jwks.algorithms).toEqual(['RS256', 'ES256', 'EdDSA'])
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      expect(await jwks.verify(await idpToken(alg, { room: 'studio', role: 'write', name: `via ${alg}` }), 'studio')).toMatchObject({ role: 'write', name: `via ${alg}` })
      const pem = new TokenVerifier({ publicKeyFile: await pemFile(alg) })
      expect(await pem.verify(await idpToken(alg, { room: 'studio', role: 'read' }, null), 'studio')).toMatchObject({ role: 'read' })
    }
    // Signed by a key the server does not know, with a kid it does.
    const stranger = await generateKeyPair('ES256')
    const forged = await new SignJWT({ room: 'studio', role: 'write' }).setProtectedHeader({ alg: 'ES256', kid: 'k-ES256' }).setExpirationTime(hour()).sign(stranger.privateKey)
    expect((await refusal(jwks, forged)).code).toBe('bad_signature')
    const onlyRsa = new TokenVerifier({ publicKeyFile: await pemFile('RS256') })
    expect((await refusal(onlyRsa, await idpToken('ES256', { room: 'studio', role: 'write' }))).code).toBe('wrong_algorithm')
    // iss and aud, when the server asks for them.
    const strict = new TokenVerifier({ jwksFile: await jwksFile(['ES256']), issuer: 'https://id.example', audience: 'scenesync' })
    expect((await refusal(strict, await idpToken('ES256', { room: 'studio', role: 'write' }))).code).toBe('bad_claims')
    expect(await strict.verify(await idpToken('ES256', { room: 'studio', role: 'write', iss: 'https://id.example', aud: 'scenesync' }), 'studio')).toMatchObject({ role: 'write' })
  })

  it('key files that cannot be used are refused when the server starts, naming the file and the problem', async () => {
    const write = (name: string, text: string) => {
      const f = path.join(dir, name)
      fs.writeFileSync(f, text)
      return f
    }
    const rsaJwk = await exportJWK((await pair('RS256')).publicKey)
    const cases: Array<[string, () => TokenVerifier, RegExp]> = [
      ['no such file', () => new TokenVerifier({ jwksFile: path.join(dir, 'absent.json') }), /--jwks .*absent\.json: no such file/],
      ['not JSON', () => new TokenVerifier({ jwksFile: write('bad.json', '{keys:') }), /--jwks .*: not JSON/],
      ['no keys', () => new TokenVerifier({ jwksFile: write('empty.json', '{"keys":[]}') }), /non-empty "keys"/],
      ['a shared secret in the set', () => new TokenVerifier({ jwksFile: write('oct.json', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })) }), /symmetric \("oct"\) key/],
      ['an alg the key cannot do', () => new TokenVerifier({ jwksFile: write('mismatch.json', JSON.stringify({ keys: [{ ...rsaJwk, alg: 'ES256' }] })) }), /says alg ES256, which a rsa key cannot verify/],
      ['not a PEM', () => new TokenVerifier({ publicKeyFile: write('bad.pem', 'hello') }), /--public-key .*: not a PEM public key/],
      ['both', () => new TokenVerifier({ jwksFile: 'a', publicKeyFile: 'b' }), /not both/],
      ['nothing', () => new TokenVerifier({}), /need a secret, a key set or a public key/],
    ]
    for (const [what, make, reason] of cases) {
      let err: unknown = null
      try {
        make()
      } catch (e) {
        err = e
      }
      expect(err, what).toBeInstanceOf(TokenConfigError)
      expect((err as Error).message, what).toMatch(reason)
    }
    // A certificate's key is accepted as well as a bare public key.
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    expect(() => new TokenVerifier({ publicKeyFile: write('private.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }) as string) })).not.toThrow()
  })

  it('[S3] a server trusting a key set admits its tokens on WebSocket and HTTP, and refuses the rest with 401/403 and a counted reason', async () => {
    const tokens = new TokenVerifier({ secret: SECRET, jwksFile: await jwksFile(['ES256']) })
    const s = await startServer({ tokens })
    try {
      const ok = await RawClient.connect(`${s.url}/studio?token=${await idpToken('ES256', { room: 'studio', role: 'write' })}`)
      expect(ok.opened).toBe(true)
      ok.ws.close()
      const minted = await RawClient.connect(`${s.url}/studio?token=${await makeToken(SECRET, { room: 'studio', role: 'write', exp: hour() })}`)
      expect(minted.opened).toBe(true)
      minted.ws.close()
      const none = new UnsecuredJWT({ room: 'studio', role: 'write' }).setExpirationTime(hour()).encode()
      const refused: Array<[string, number, RegExp]> = [
        [none, 401, /algorithm .*none.* is not accepted/],
        [await idpToken('ES256', { room: 'elsewhere', role: 'write' }), 403, /token is for room/],
        [await idpToken('ES256', { room: 'studio', role: 'write', exp: Math.floor(Date.now() / 1000) - 5 }), 401, /expired/],
      ]
      for (const [token, status, reason] of refused) {
        const err = (await RawClient.connect(`${s.url}/studio?token=${token}`).catch((e: unknown) => e)) as { status: number; body: string }
        expect(err.status).toBe(status)
        expect(err.body).toMatch(reason)
        const res = await fetch(`${s.http}/rooms/studio/scene`, { headers: { authorization: `Bearer ${token}` } })
        expect(res.status).toBe(status)
        expect(((await res.json()) as { error: string }).error).toMatch(reason)
      }
      const read = await fetch(`${s.http}/rooms/studio/scene`, { headers: { authorization: `Bearer ${await idpToken('ES256', { room: 'studio', role: 'read' })}` } })
      expect(read.status).toBe(200)
      const metrics = await (await fetch(`${s.http}/metrics`)).text()
      expect(metrics).toMatch(/scenesync_rejected_total\{reason="token_wrong_algorithm"\} 2/)
      expect(metrics).toMatch(/scenesync_rejected_total\{reason="token_wrong_room"\} 2/)
    } finally {
      await s.stop()
    }
  })
})
