/**
 * GET /openapi.json: an OpenAPI 3.1 document that a validator accepts, and
 * that says what the server does: every operation it lists is called on a
 * real server (a recorded room plus a mesh written by a stock client) with
 * its documented example parameters, and answers with a documented status,
 * content type and, for JSON, the schema's required keys. Bad and missing
 * tokens get the 401/403 the document lists.
 */
import { validate } from '@readme/openapi-parser'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SceneDoc, encodeGeometry } from '../../src/crdt/index.js'
import { makeToken } from '../../src/server/tokens.js'
import { gridMesh } from '../helpers/geometry-arb.js'
import { IDS, ROOM, record } from '../helpers/recording.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const SECRET = 'openapi-secret'
type Json = Record<string, any>

describe('/openapi.json', () => {
  let dir: string
  let s: TestServer
  let doc: Json
  let provider: WebsocketProvider
  const token = (room = ROOM) => makeToken(SECRET, { room, role: 'read', exp: Math.floor(Date.now() / 1000) + 600 })

  beforeAll(async () => {
    dir = tmpDir()
    await (await record(dir)).close()
    s = await startServer({ dir, secret: SECRET })
    const ydoc = new Y.Doc()
    provider = new WebsocketProvider(s.url, ROOM, ydoc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: await makeToken(SECRET, { room: ROOM, role: 'write', exp: Math.floor(Date.now() / 1000) + 600 }) } })
    await waitFor(() => provider.synced)
    const scene = new SceneDoc(ydoc)
    const geometry = scene.putGeometry(encodeGeometry(gridMesh(4)))
    scene.transact(() => {
      scene.upsertObject('grid-object', { name: 'Grid', type: 'MESH' })
      scene.upsertData('grid-mesh', { kind: 'MESH', name: 'Grid', geometry })
      scene.setObjectRefs('grid-object', { data: 'grid-mesh' })
    })
    await waitFor(async () => (await fetch(`${s.http}/rooms/${ROOM}/data/grid-mesh?bytes=0`, { headers: { authorization: `Bearer ${await token()}` } })).status === 200, 15_000, 'the mesh projected')
    const res = await fetch(`${s.http}/openapi.json`)
    expect(res.status).toBe(200)
    doc = (await res.json()) as Json
  })
  afterAll(async () => {
    provider?.destroy()
    await s?.stop()
    if (dir) rmTmp(dir)
  })

  it('is an OpenAPI 3.1 document the validator accepts', async () => {
    expect(doc.openapi).toBe('3.1.0')
    const result = await validate(structuredClone(doc) as never)
    expect(result.valid ? [] : result.errors).toEqual([])
    expect(result.specification).toBe('OpenAPI')
  })

  it('every operation it lists answers as documented', async () => {
    const examples: Record<string, string> = { room: ROOM, object: 'Suzanne', objectId: IDS.suzanne, id: 'grid-mesh' }
    const called: string[] = []
    for (const [template, item] of Object.entries(doc.paths as Json)) {
      const op = (item as Json).get as Json
      const params = [...((op.parameters as Json[]) ?? [])].map((p) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p)) as Json[]
      let path = template
      const query = new URLSearchParams()
      for (const p of params) {
        if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(examples[p.name] ?? String(p.example)))
        else if (p.in === 'query' && p.example !== undefined) query.set(p.name, String(p.example))
      }
      expect(path, `${template}: every path parameter has an example`).not.toMatch(/[{}]/)
      const secured = !(Array.isArray(op.security) && op.security.length === 0)
      const url = `${s.http}${path}${query.size ? `?${query}` : ''}`
      const res = await fetch(url, secured ? { headers: { authorization: `Bearer ${await token()}` } } : {})
      const documented = op.responses[String(res.status)] as Json | undefined
      expect(documented, `${template} answered ${res.status}, which it does not document (${await res.clone().text()})`).toBeDefined()
      expect(res.status, `${template} with its examples`).toBe(200)
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!
      expect(Object.keys(documented!.content ?? {}), `${template}: content type ${type}`).toContain(type)
      const schema = documented!.content[type].schema as Json
      if (type === 'application/json' && schema.$ref) {
        const body = (await res.json()) as Json
        const named = doc.components.schemas[schema.$ref.split('/').pop()] as Json
        for (const key of named.required ?? []) expect(body, `${template}: ${key}`).toHaveProperty(key)
      } else await res.arrayBuffer()
      if (secured) {
        // The refusals it documents for every room route.
        const none = await fetch(url)
        expect(none.status).toBe(401)
        expect(op.responses['401']).toBeDefined()
        // A token for another room: 403 where the route is one room's (GET /rooms lists that room's instead).
        const other = await fetch(url, { headers: { authorization: `Bearer ${await token('elsewhere')}` } })
        expect(other.status, template).toBe(op.responses['403'] ? 403 : 200)
        if (other.status === 403) expect(Object.keys((await other.json()) as Json)).toEqual(['error'])
        else await other.arrayBuffer()
      }
      called.push(template)
    }
    expect(called).toEqual(expect.arrayContaining(['/', '/rooms', '/rooms/{room}/span', '/rooms/{room}/activity', '/rooms/{room}/changes', '/rooms/{room}/diff', '/rooms/{room}/objects/{objectId}', '/healthz', '/metrics', '/openapi.json', '/rooms/{room}/scene', '/rooms/{room}/objects/{object}/history', '/rooms/{room}/timeline', '/rooms/{room}/timeline/summary', '/rooms/{room}/export', '/rooms/{room}/data/{id}', '/rooms/{room}/data/{id}/geometry']))
  })

  it('documents the errors it gives: a bad point of history is 400, an unknown object 404, both as {error}', async () => {
    const headers = { authorization: `Bearer ${await token()}` }
    const bad = await fetch(`${s.http}/rooms/${ROOM}/scene?at=yesterday-ish`, { headers })
    expect(bad.status).toBe(400)
    expect(doc.paths['/rooms/{room}/scene'].get.responses['400']).toBeDefined()
    const unknown = await fetch(`${s.http}/rooms/${ROOM}/objects/Nobody/history`, { headers })
    expect(unknown.status).toBe(404)
    expect(doc.paths['/rooms/{room}/objects/{object}/history'].get.responses['404']).toBeDefined()
    expect(Object.keys((await unknown.json()) as Json)).toContain('error')
  })
})
