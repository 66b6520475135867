/**
 * A server with the web view built, and editors that are stock y-websocket
 * providers (each with its own name, so the log records who did what), for
 * the browser tests and the web benchmark.
 */
import fs from 'node:fs'
import path from 'node:path'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { IDENTITY_XFORM, SceneDoc, type Xform } from '../../src/crdt/index.js'
import { WEB_OUT, buildWeb } from '../../web/build.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'

const WEB_SRC = path.join(path.dirname(WEB_OUT), '..', 'web')

function newest(dir: string): number {
  let t = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs)
  }
  return t
}

/** Builds dist/web unless it is newer than every file of web/ and src/crdt (which it bundles). */
export async function ensureWebBuilt(): Promise<void> {
  const bundle = path.join(WEB_OUT, 'app.js')
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0
  const sources = Math.max(newest(WEB_SRC), newest(path.join(WEB_SRC, '..', 'src', 'crdt')))
  if (built < sources) await buildWeb()
}

export async function webServer(opts: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  await ensureWebBuilt()
  return startServer({ unloadAfterMs: 60_000, ...opts })
}

export interface Editor {
  name: string
  doc: Y.Doc
  scene: SceneDoc
  provider: WebsocketProvider
  close(): void
}

export async function editor(s: TestServer, room: string, name: string, token?: string): Promise<Editor> {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(s.url, room, doc, {
    WebSocketPolyfill: WebSocket as never,
    disableBc: true,
    params: token ? { token, name } : { name },
  })
  await waitFor(() => provider.synced, 10_000, `${name} to sync`)
  return {
    name,
    doc,
    scene: new SceneDoc(doc),
    provider,
    close: () => {
      provider.destroy()
      doc.destroy()
    },
  }
}

export const xf = (location: [number, number, number], rotation: number[] = [0, 0, 0], scale: [number, number, number] = [1, 1, 1], mode: Xform['mode'] = 'XYZ'): Xform => ({ mode, location, rotation, scale })
const deg = Math.PI / 180

/** Ids of the demo scene's objects. */
export const DEMO = {
  floor: 'demo-0000-floor',
  table: 'demo-0001-table',
  lamp: 'demo-0002-lamp',
  crate: 'demo-0003-crate',
  chair: 'demo-0004-chair',
  camera: 'demo-0005-camera',
  key: 'demo-0006-key-light',
  fill: 'demo-0007-fill-light',
  rig: 'demo-0008-rig',
  target: 'demo-0009-target',
  drone: 'demo-0010-drone',
}

/** A small set: a floor, furniture with a child, a rig, lights, a camera, an empty, a drone that flies. */
export function buildDemo(e: Editor): void {
  const s = e.scene
  s.transact(() => {
    s.upsertObject(DEMO.floor, { name: 'Floor', type: 'MESH', xform: xf([0, 0, -0.06], [0, 0, 0], [12, 12, 0.1]) })
    s.upsertObject(DEMO.table, { name: 'Table', type: 'MESH', xform: xf([0, 0, 0.4], [0, 0, 0], [2.2, 1.2, 0.8]) })
    s.upsertObject(DEMO.lamp, { name: 'Lamp', type: 'MESH', parent: DEMO.table, xform: xf([0.3, 0.2, 0.7], [0, 0, 0], [0.1, 0.15, 0.5]) })
    s.upsertObject(DEMO.crate, { name: 'Crate', type: 'MESH', xform: xf([-3, 2, 0.5], [0, 0, 20 * deg]) })
    s.upsertObject(DEMO.chair, { name: 'Chair', type: 'MESH', xform: xf([1.8, -1.4, 0.45], [0, 0, -30 * deg], [0.6, 0.6, 0.9]) })
    s.upsertObject(DEMO.camera, { name: 'Camera', type: 'CAMERA', xform: xf([7.4, -6.9, 5], [63.6 * deg, 0, 46.7 * deg]) })
    s.upsertObject(DEMO.key, { name: 'Key light', type: 'LIGHT', xform: xf([4, 1, 5.9]) })
    s.upsertObject(DEMO.fill, { name: 'Fill light', type: 'LIGHT', xform: xf([-4, -3, 4]) })
    s.upsertObject(DEMO.rig, { name: 'Rig', type: 'ARMATURE', xform: xf([-2, -2, 0], [0, 0, 0], [1.6, 1.6, 1.6]) })
    s.upsertObject(DEMO.target, { name: 'Look target', type: 'EMPTY', xform: xf([0, 0, 1.2]) })
    s.upsertObject(DEMO.drone, { name: 'Drone', type: 'MESH', xform: xf([3, 0, 2], [0, 0, 0], [0.5, 0.5, 0.2]) })
  })
  s.setBonePose(DEMO.rig, 'spine', IDENTITY_XFORM)
}

/** The drone's position at step i of its flight: a rising circle. */
export function dronePath(i: number): [number, number, number] {
  const a = (i / 40) * Math.PI * 2
  return [3 * Math.cos(a), 3 * Math.sin(a), 2 + i * 0.03]
}

/** Waits until the projection holds every entry the log has (the HTTP API reads the projection). */
export async function projected(s: TestServer): Promise<void> {
  const head = await s.log.head()
  await waitFor(() => s.projector.position().cursor === head, 20_000, 'the projector to catch up')
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
