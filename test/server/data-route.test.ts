/**
 * `GET /rooms/:room/data/:id?at=`: a data block's settings and geometry bytes
 * as they were, written by a stock y-websocket client through the real server.
 */
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { SceneDoc, decodeGeometry, encodeGeometry, geometryHash } from '../../src/crdt/index.js'
import { makeToken } from '../../src/server/tokens.js'
import { gridMesh, plain } from '../helpers/geometry-arb.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'

let srv: TestServer | null = null
const providers: WebsocketProvider[] = []
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy()
  await srv?.stop()
  srv = null
})

async function client(url: string, room: string, params: Record<string, string> = {}): Promise<SceneDoc> {
  const doc = new Y.Doc()
  const p = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params })
  providers.push(p)
  await waitFor(() => p.synced, 10_000, 'synced')
  return new SceneDoc(doc)
}

describe('HTTP: data blocks at a point of history', () => {
  it('[D4] settings and geometry bytes as they were: now, at an earlier position, and raw', async () => {
    srv = await startServer()
    const scene = await client(srv.url, 'r')
    const v1 = encodeGeometry(gridMesh(250)) // several chunks
    const v2 = encodeGeometry(gridMesh(10))
    const r1 = scene.putGeometry(v1)
    scene.transact(() => {
      scene.upsertObject('o', { name: 'Grid', type: 'MESH' })
      scene.upsertData('m', { kind: 'MESH', name: 'Grid', settings: { use_auto_smooth: true }, geometry: r1 })
      scene.setObjectRefs('o', { data: 'm' })
    })
    const get = async (path: string) => {
      const res = await fetch(`${srv!.http}${path}`)
      return { status: res.status, type: res.headers.get('content-type'), body: res.headers.get('content-type')?.startsWith('application/json') ? await res.json() : new Uint8Array(await res.arrayBuffer()), hash: res.headers.get('x-scenesync-hash') }
    }
    await waitFor(async () => (await get('/rooms/r/data/m')).status === 200, 10_000, 'the first version projected')
    const first = (await get('/rooms/r/data/m')).body as { at: number; seq: number; geometry: { hash: string; base64: string } }
    const r2 = scene.putGeometry(v2)
    scene.transact(() => {
      scene.upsertData('m', { kind: 'MESH', name: 'Grid', geometry: r2 })
      scene.releaseGeometry(r1.hash)
    })
    await waitFor(async () => ((await get('/rooms/r/data/m')).body as { geometry: { hash: string } }).geometry.hash === r2.hash, 10_000, 'the second version')
    const now = (await get('/rooms/r/data/m')).body as { name: string; settings: Record<string, unknown>; geometry: { hash: string; base64: string; counts: { vertices: number } } }
    expect(now).toMatchObject({ name: 'Grid', settings: { use_auto_smooth: true }, geometry: { hash: r2.hash, counts: { vertices: 121 } } })
    expect(plain(decodeGeometry(new Uint8Array(Buffer.from(now.geometry.base64, 'base64'))))).toEqual(plain(gridMesh(10)))
    // The first version, though the live doc released its chunks.
    const then = (await get(`/rooms/r/data/m?at=${first.seq}`)).body as { seq: number; geometry: { hash: string; base64: string } }
    expect(then.seq).toBe(first.seq)
    expect(geometryHash(Buffer.from(then.geometry.base64, 'base64'))).toBe(r1.hash)
    const raw = await get(`/rooms/r/data/m/geometry?at=${first.seq}`)
    expect(raw.type).toBe('application/octet-stream')
    expect(raw.hash).toBe(r1.hash)
    expect(Buffer.from(raw.body as Uint8Array).equals(Buffer.from(v1))).toBe(true)
    expect(((await get('/rooms/r/data/m?bytes=0')).body as { geometry: Record<string, unknown> }).geometry.base64).toBeUndefined()
    // The scene answer carries the data blocks and each object's data version.
    const sceneNow = (await get('/rooms/r/scene')).body as { objects: Array<{ data: string; dataSeq: number }>; data: Array<{ id: string }> }
    expect(sceneNow.objects[0]).toMatchObject({ data: 'm' })
    expect(sceneNow.data.map((d) => d.id)).toEqual(['m'])
    expect(await get('/rooms/r/data/nope')).toMatchObject({ status: 404, body: { error: expect.stringMatching(/no data block "nope"/) } })
    expect(await get('/rooms/r/data/m?at=yesterday-ish')).toMatchObject({ status: 400 })
  })

  it('[S3] the data route needs a token for the room', async () => {
    srv = await startServer({ secret: 's3cret' })
    const res = await fetch(`${srv.http}/rooms/r/data/m`)
    expect(res.status).toBe(401)
    const other = await makeToken('s3cret', { room: 'elsewhere', role: 'read', exp: Math.floor(Date.now() / 1000) + 60 })
    expect((await fetch(`${srv.http}/rooms/r/data/m`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(403)
  })
})
