/**
 * Scene content through real agents and a real server: data blocks with
 * geometry handed over as files, links, collections and the active camera; a
 * stock y-websocket client reading the geometry; geometry made offline.
 */
import fs from 'node:fs'
import path from 'node:path'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { CHUNK_BYTES, decodeGeometry, encodeGeometry, geometryHash } from '../../src/crdt/index.js'
import { START } from '../../src/log/event-log.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { AgentProcess, type Msg, freePort } from '../helpers/agent-process.js'
import { gridMesh, plain } from '../helpers/geometry-arb.js'
import { waitFor } from '../helpers/server.js'
import { type ServerProcess, spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const cleanup: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

const synced = (m: Msg) => m.type === 'status' && m.status === 'synced'
const X = { mode: 'XYZ', location: [0, 0, 0], rotation: [0, 0, 0], scale: [1, 1, 1] }

async function setup(port = 0): Promise<{ dir: string; srv: ServerProcess; agent: (name: string) => AgentProcess; outbox: string }> {
  const dir = tmpDir()
  cleanup.push(() => rmTmp(dir))
  const srv = await spawnServer(dir, [], port)
  cleanup.push(() => srv.kill('SIGTERM'))
  const outbox = tmpDir()
  cleanup.push(() => rmTmp(outbox))
  const agent = (name: string) => {
    const j = tmpDir()
    cleanup.push(() => rmTmp(j))
    const a = AgentProcess.start(srv.url, 'studio', name, j)
    cleanup.push(() => a.kill())
    return a
  }
  return { dir, srv, agent, outbox }
}

/** As the add-on does: the value in a file named by its hash. */
function file(outbox: string, bytes: Uint8Array): { hash: string; path: string } {
  const hash = geometryHash(bytes)
  const p = path.join(outbox, `${hash}.sgeo`)
  fs.writeFileSync(p, bytes)
  return { hash, path: p }
}

async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text()
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)![1])
}

describe('agent: scene content', () => {
  it('[D1] a mesh, its material and a light written by one agent reach the other with the same bytes; a stock Yjs client decodes the mesh', async () => {
    const { srv, agent, outbox } = await setup()
    const a = agent('Ann')
    const b = agent('Bob')
    await a.waitFor(synced, 'A synced')
    await b.waitFor(synced, 'B synced')
    const bytes = encodeGeometry(gridMesh(120)) // 14,641 vertices, ~1.2 MB: two chunks
    const g = file(outbox, bytes)
    a.send({
      op: 'batch',
      ops: [
        { op: 'data', id: 'mat-red', kind: 'MATERIAL', name: 'Red', settings: { 'principled.base_color': [0.8, 0, 0, 1], 'principled.roughness': 0.4 } },
        { op: 'data', id: 'mesh-1', kind: 'MESH', name: 'Grid', settings: { use_auto_smooth: true }, geometry: g },
        { op: 'upsert', id: 'obj-1', name: 'Grid', type: 'MESH', xform: X },
        { op: 'link', id: 'obj-1', data: 'mesh-1', materials: ['mat-red'], collections: ['@scene'] },
        { op: 'data', id: 'light-1', kind: 'LIGHT', name: 'Spot', settings: { type: 'SPOT', energy: 5000, color: [0, 0, 1] } },
        { op: 'camera', id: 'obj-1' },
      ],
    })
    const obj = await b.waitFor((m) => m.type === 'object' && m.id === 'obj-1', 'B sees the object')
    expect(obj).toMatchObject({ data: 'mesh-1', materials: ['mat-red'], collections: ['@scene'] })
    const data = (await b.waitFor((m) => m.type === 'data' && m.id === 'mesh-1' && !!m.geometry, 'B gets the mesh')) as Msg & { geometry: { hash: string; path: string; size: number } }
    expect(data.geometry.hash).toBe(g.hash)
    expect(Buffer.from(fs.readFileSync(data.geometry.path)).equals(Buffer.from(bytes))).toBe(true)
    expect(b.messages.find((m) => m.type === 'data' && m.id === 'mat-red')).toMatchObject({ kind: 'MATERIAL', name: 'Red', settings: { 'principled.base_color': [Math.fround(0.8), 0, 0, 1] } })
    expect(b.messages.find((m) => m.type === 'data' && m.id === 'light-1')).toMatchObject({ settings: { type: 'SPOT', energy: 5000, color: [0, 0, 1] } })
    await b.waitFor((m) => m.type === 'scene-settings' && m.camera === 'obj-1', 'B gets the active camera')
    // The add-on's file was moved into A's cache, not left behind.
    expect(fs.existsSync(g.path)).toBe(false)

    // A stock y-websocket client reads the mesh through the documented encoding.
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(srv.url, 'studio', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
    cleanup.push(() => provider.destroy())
    await waitFor(() => provider.synced, 10_000, 'stock client synced')
    const ref = (doc.getMap('data').get('mesh-1') as Y.Map<unknown>).get('geometry') as { hash: string; size: number; chunks: number }
    expect(ref.chunks).toBe(2)
    const parts = Array.from({ length: ref.chunks }, (_, i) => doc.getMap('geometry').get(`${ref.hash}/${i}`) as Uint8Array)
    const joined = Buffer.concat(parts)
    expect(geometryHash(joined)).toBe(ref.hash)
    expect(plain(decodeGeometry(new Uint8Array(joined)))).toEqual(plain(gridMesh(120)))
  })

  it('[D2] the same geometry twice is one value: a second mesh with it adds a few hundred bytes to the log, not a megabyte', async () => {
    const { srv, agent, outbox } = await setup()
    const a = agent('Ann')
    await a.waitFor(synced, 'A synced')
    const bytes = encodeGeometry(gridMesh(120))
    a.send({ op: 'data', id: 'm1', kind: 'MESH', name: 'One', geometry: file(outbox, bytes) })
    a.send({ op: 'scene', req: 1 })
    await a.waitFor((m) => m.type === 'scene' && m.req === 1, 'A applied the first')
    await waitFor(async () => (await metric(srv.http, 'scenesync_update_bytes_appended_total')) > bytes.length, 10_000, 'the first mesh in the log')
    const before = await metric(srv.http, 'scenesync_update_bytes_appended_total')
    a.send({ op: 'data', id: 'm2', kind: 'MESH', name: 'Two', geometry: file(outbox, bytes) })
    a.send({ op: 'upsert', id: 'probe', name: 'Probe', type: 'EMPTY' })
    await waitFor(async () => (await metric(srv.http, 'scenesync_updates_appended_total')) >= 5, 10_000, 'both ops in the log')
    const added = (await metric(srv.http, 'scenesync_update_bytes_appended_total')) - before
    expect(added).toBeGreaterThan(0)
    expect(added).toBeLessThan(1000)
  })

  it('bad geometry files and values are refused with an error naming them, and nothing is written', async () => {
    const { agent, outbox } = await setup()
    const a = agent('Ann')
    const b = agent('Bob')
    await a.waitFor(synced, 'A synced')
    await b.waitFor(synced, 'B synced')
    const good = encodeGeometry(gridMesh(3))
    const g = file(outbox, good)
    a.send({ op: 'data', id: 'm', kind: 'MESH', name: 'M', geometry: { hash: 'f'.repeat(64), path: g.path }, req: 1 })
    const broken = good.slice()
    broken[12 * 4 + 40] = 0xff // inside the positions' indices region
    const bad = encodeGeometry(gridMesh(3)).slice()
    new DataView(bad.buffer).setUint32(bad.length - 4, 0xffffffff, true)
    a.send({ op: 'data', id: 'm', kind: 'MESH', name: 'M', geometry: file(outbox, bad), req: 2 })
    a.send({ op: 'data', id: 'm', kind: 'LIGHT', name: 'M', geometry: file(outbox, good), req: 3 })
    a.send({ op: 'data', id: 'm', kind: 'MESH', name: 'M', geometry: { hash: geometryHash(encodeGeometry(gridMesh(4))), path: path.join(outbox, 'missing.sgeo') }, req: 4 })
    a.send({ op: 'upsert', id: 'after', name: 'After', type: 'EMPTY' })
    await b.waitFor((m) => m.type === 'object' && m.id === 'after', 'B sees the op after the bad ones')
    const errors = a.of<Msg & { message: string; req: number }>('error')
    expect(errors.map((e) => [e.req, e.message])).toEqual([
      [1, expect.stringMatching(/hashes to [0-9a-f]{12}…, not to ffffffffffff…/)],
      [2, expect.stringMatching(/data m: geometry: .*(UV|loop|vertex|edge)/)],
      [3, expect.stringMatching(/a LIGHT cannot hold MESH geometry/)],
      [4, expect.stringMatching(/cannot read the geometry file .*missing\.sgeo/)],
    ])
    expect(b.messages.filter((m) => m.type === 'data')).toEqual([])
  })

  it('[B3] geometry made while the server is down reaches the others once it is back; only its reference travelled in the sync', async () => {
    const port = await freePort()
    const { dir, srv, agent, outbox } = await setup(port)
    const a = agent('Ann')
    await a.waitFor(synced, 'A synced')
    await srv.kill('SIGKILL')
    await a.waitFor((m) => m.type === 'status' && m.status === 'offline', 'A offline')
    const bytes = encodeGeometry(gridMesh(200)) // 3.3 MB: four chunks
    a.send({ op: 'data', id: 'offline-mesh', kind: 'MESH', name: 'Offline', geometry: file(outbox, bytes) })
    a.send({ op: 'upsert', id: 'offline-obj', name: 'Offline', type: 'MESH' })
    a.send({ op: 'link', id: 'offline-obj', data: 'offline-mesh' })
    await new Promise((r) => setTimeout(r, 300))
    const back = await spawnServer(dir, [], port)
    cleanup.push(() => back.kill('SIGTERM'))
    const b = agent('Bob')
    const got = (await b.waitFor((m) => (m.type === 'data' && m.id === 'offline-mesh' && !!m.geometry) || (m.type === 'scene' && (m.data as Msg[]).some((d) => d.id === 'offline-mesh' && !!d.geometry)), 'B gets the offline mesh', 20_000)) as Msg
    const d = (got.type === 'scene' ? (got.data as Msg[]).find((x) => x.id === 'offline-mesh') : got) as Msg & { geometry: { path: string } }
    expect(geometryHash(fs.readFileSync(d.geometry.path))).toBe(geometryHash(bytes))
    // The chunks went out one update each after the sync, not inside A's sync reply.
    await back.kill('SIGTERM')
    const log = SqliteEventLog.open(dir)
    const sizes = (await log.readRoom('studio', START)).map((e) => e.update.length)
    await log.close()
    expect(Math.max(...sizes)).toBeLessThan(CHUNK_BYTES + 1024)
    expect(sizes.reduce((x, y) => x + y, 0)).toBeGreaterThan(bytes.length)
  })

  it('[B3] an upload cut short by a server crash completes after reconnecting, and nothing is refused as too large', async () => {
    const port = await freePort()
    const { dir, srv, agent, outbox } = await setup(port)
    const a = agent('Ann')
    await a.waitFor(synced, 'A synced')
    const bytes = encodeGeometry(gridMesh(560)) // ~31 MB: 31 chunks, twice the 16 MiB message limit
    a.send({ op: 'data', id: 'big', kind: 'MESH', name: 'Big', geometry: file(outbox, bytes) })
    await waitFor(async () => (await metric(srv.http, 'scenesync_update_bytes_appended_total').catch(() => 0)) > 4 * CHUNK_BYTES, 30_000, 'part of the upload in the log')
    await srv.kill('SIGKILL')
    const back = await spawnServer(dir, [], port)
    cleanup.push(() => back.kill('SIGTERM'))
    const b = agent('Bob')
    const got = (await b.waitFor((m) => (m.type === 'data' && m.id === 'big' && !!m.geometry) || (m.type === 'scene' && (m.data as Msg[]).some((d) => d.id === 'big' && !!d.geometry)), 'B gets the whole mesh', 90_000)) as Msg
    const d = (got.type === 'scene' ? (got.data as Msg[]).find((x) => x.id === 'big') : got) as Msg & { geometry: { path: string } }
    expect(geometryHash(fs.readFileSync(d.geometry.path))).toBe(geometryHash(bytes))
    expect(a.of<Msg & { message: string }>('error').filter((e) => /4413|too large|exceeds/.test(e.message))).toEqual([])
  }, 150_000)

  it('collections, their hierarchy and flags, and an object\'s membership reach the other agent; a removed collection is reported', async () => {
    const { agent } = await setup()
    const a = agent('Ann')
    const b = agent('Bob')
    await a.waitFor(synced, 'A synced')
    await b.waitFor(synced, 'B synced')
    a.send({ op: 'batch', ops: [
      { op: 'collection', id: 'c1', name: 'Set', parent: null },
      { op: 'collection', id: 'c2', name: 'Props', parent: 'c1', flags: { hide_render: true, exclude: false } },
      { op: 'collection', id: 'c3', name: 'Small', parent: 'c2' },
      { op: 'upsert', id: 'o', name: 'Cup', type: 'EMPTY' },
      { op: 'link', id: 'o', collections: ['c3', 'c1'] },
    ] })
    await b.waitFor((m) => m.type === 'collection' && m.id === 'c3' && m.parent === 'c2', 'B gets the third level')
    expect(b.messages.find((m) => m.type === 'collection' && m.id === 'c2')).toMatchObject({ name: 'Props', parent: 'c1', flags: { hide_render: true, exclude: false } })
    expect(await b.waitFor((m) => m.type === 'object' && m.id === 'o', 'B gets the object')).toMatchObject({ collections: ['c3', 'c1'] })
    a.send({ op: 'uncollection', id: 'c3' })
    await b.waitFor((m) => m.type === 'uncollection' && m.id === 'c3', 'B hears c3 is gone')
    a.send({ op: 'collection', id: 'c2', flags: { hidden: true } })
    await a.waitFor((m) => m.type === 'error' && /unknown collection flag "hidden"/.test(String(m.message)), 'a bad flag is refused')
  })
})
