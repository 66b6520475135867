/**
 * examples/move-object.mjs, the client docs/scene-model.md points people to,
 * run as a person would (node, its arguments, a token in the environment)
 * against a real server, with a stock y-websocket client watching.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SceneDoc } from '../../src/crdt/scene-doc.js'
import { makeToken } from '../../src/server/tokens.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'

const ROOT = path.resolve(import.meta.dirname, '..', '..')
const SECRET = 'example-secret'
const token = (role: 'read' | 'write') => makeToken(SECRET, { room: 'studio', role, exp: Math.floor(Date.now() / 1000) + 600 })

function example(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'move-object.mjs'), ...args], { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('examples/move-object.mjs', () => {
  let s: TestServer
  let watcher: { doc: Y.Doc; p: WebsocketProvider }
  let scene: SceneDoc

  beforeAll(async () => {
    s = await startServer({ secret: SECRET })
    const doc = new Y.Doc()
    const p = new WebsocketProvider(s.url, 'studio', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: await token('write') } })
    watcher = { doc, p }
    await waitFor(() => p.synced)
    scene = new SceneDoc(doc)
    scene.upsertObject('cube-id', { name: 'Cube', type: 'MESH', xform: { mode: 'QUATERNION', location: [0, 0, 0], rotation: [1, 0, 0, 0], scale: [2, 2, 2] } })
    scene.upsertObject('lamp-id', { name: 'Lamp', type: 'LIGHT' })
    scene.storeStampedXform('lamp-id', { xform: { mode: 'XYZ', location: [5, 5, 5], rotation: [0.5, 0, 0], scale: [1, 1, 1] }, times: [1000, 2000, 3000] })
  })
  afterAll(async () => {
    watcher?.p.destroy()
    await s?.stop()
  })

  it('finds an object by name and moves it; everyone sees it and the projection records it', async () => {
    const r = await example([s.url, 'studio', 'Cube', '1.5', '-2', '3'], { SCENESYNC_TOKEN: await token('write') })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/moved Cube \(cube-id\) to 1\.5, -2, 3/)
    await waitFor(() => scene.read('cube-id')?.xform?.location[0] === 1.5)
    expect(scene.read('cube-id')!.xform).toEqual({ mode: 'QUATERNION', location: [1.5, -2, 3], rotation: [1, 0, 0, 0], scale: [2, 2, 2] })
    // An Euler object with channel times: the location's time moves on, the others stay.
    const before = Date.now()
    expect((await example([s.url, 'studio', 'Lamp', '0', '1', '2'], { SCENESYNC_TOKEN: await token('write') })).code).toBe(0)
    await waitFor(() => scene.readStampedXform('lamp-id')?.xform.location[2] === 2)
    const lamp = scene.readStampedXform('lamp-id')!
    expect(lamp.xform).toEqual({ mode: 'XYZ', location: [0, 1, 2], rotation: [Math.fround(0.5), 0, 0], scale: [1, 1, 1] })
    expect(lamp.times[0]).toBeGreaterThanOrEqual(before)
    expect(lamp.times.slice(1)).toEqual([2000, 3000])
    await waitFor(async () => {
      const res = await fetch(`${s.http}/rooms/studio/scene`, { headers: { authorization: `Bearer ${await token('read')}` } })
      const body = (await res.json()) as { objects: Array<{ id: string; xform: { location: number[] } }> }
      return body.objects.find((o) => o.id === 'lamp-id')?.xform.location[1] === 1
    })
  })

  it('says what is wrong: an unknown name, no token, bad arguments', async () => {
    const unknown = await example([s.url, 'studio', 'Nothing', '0', '0', '0'], { SCENESYNC_TOKEN: await token('write') })
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/0 objects are named "Nothing" in room studio/)
    const anonymous = await example([s.url, 'studio', 'Cube', '0', '0', '0'], { SCENESYNC_TOKEN: '' })
    expect(anonymous.code).toBe(1)
    expect(anonymous.stderr).toMatch(/cannot connect|closed the connection/)
    const usage = await example([s.url, 'studio', 'Cube', 'x'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/usage: move-object\.mjs URL ROOM NAME X Y Z/)
    expect(scene.read('cube-id')!.xform!.location).toEqual([1.5, -2, 3])
  })
})
