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
import { SceneDoc, type Xform } from '../../src/crdt/index.js'
import { WEB_OUT, buildWeb } from '../../web/build.js'
import { type MeshSpec, linkData, meshBytes, rigBytes, storeGeometry } from './geometry-bytes.js'
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
  ring: 'demo-0011-ring',
}

export function torus(R = 1, r = 0.25, n = 32, m = 12): MeshSpec {
  const vertices: number[][] = []
  const faces: number[][] = []
  for (let i = 0; i < n; i++) {
    const a = (i / n) * Math.PI * 2
    for (let j = 0; j < m; j++) {
      const b = (j / m) * Math.PI * 2
      vertices.push([(R + r * Math.cos(b)) * Math.cos(a), (R + r * Math.cos(b)) * Math.sin(a), r * Math.sin(b)])
      faces.push([i * m + j, ((i + 1) % n) * m + j, ((i + 1) % n) * m + ((j + 1) % m), i * m + ((j + 1) % m)])
    }
  }
  return { vertices, faces }
}

export function uvSphere(r = 1, n = 24, m = 12): MeshSpec {
  const vertices: number[][] = [[0, 0, r]]
  const faces: number[][] = []
  for (let j = 1; j < m; j++) {
    const b = (j / m) * Math.PI
    for (let i = 0; i < n; i++) {
      const a = (i / n) * Math.PI * 2
      vertices.push([r * Math.sin(b) * Math.cos(a), r * Math.sin(b) * Math.sin(a), r * Math.cos(b)])
    }
  }
  vertices.push([0, 0, -r])
  const at = (j: number, i: number) => 1 + (j - 1) * n + (i % n)
  for (let i = 0; i < n; i++) faces.push([0, at(1, i), at(1, i + 1)])
  for (let j = 1; j < m - 1; j++) for (let i = 0; i < n; i++) faces.push([at(j, i), at(j + 1, i), at(j + 1, i + 1), at(j, i + 1)])
  const last = vertices.length - 1
  for (let i = 0; i < n; i++) faces.push([at(m - 1, i + 1), at(m - 1, i), last])
  return { vertices, faces }
}

export function cylinder(r = 1, h = 2, n = 24): MeshSpec {
  const vertices: number[][] = []
  for (const z of [-h / 2, h / 2]) for (let i = 0; i < n; i++) vertices.push([r * Math.cos((i / n) * Math.PI * 2), r * Math.sin((i / n) * Math.PI * 2), z])
  const faces: number[][] = []
  for (let i = 0; i < n; i++) faces.push([i, (i + 1) % n, n + ((i + 1) % n), n + i])
  faces.push([...Array(n).keys()].reverse(), [...Array(n).keys()].map((i) => n + i))
  return { vertices, faces }
}

/**
 * A small set: a floor, furniture with a child, a rig, lights, a camera, an
 * empty, a drone that flies, a ring. The ring, the drone, the lamp and the
 * rig carry geometry (docs/geometry-format.md); the rest are meshes without
 * any, drawn as boxes.
 */
export function buildDemo(e: Editor): void {
  const s = e.scene
  // Geometry first, then the objects that show it, linked as they are created (one entry).
  storeGeometry(e.doc, 'demo-data-ring', 'MESH', 'Torus', meshBytes(torus()))
  storeGeometry(e.doc, 'demo-data-drone', 'MESH', 'Sphere', meshBytes(uvSphere()))
  storeGeometry(e.doc, 'demo-data-lamp', 'MESH', 'Cylinder', meshBytes(cylinder(0.5, 1)))
  storeGeometry(e.doc, 'demo-data-rig', 'ARMATURE', 'Armature', rigBytes([
    { name: 'hips', parent: -1, head: [0, 0, 0], tail: [0, 0, 0.5] },
    { name: 'spine', parent: 0, head: [0, 0, 0.5], tail: [0, 0, 1.1] },
    { name: 'neck', parent: 1, head: [0, 0, 1.1], tail: [0, 0, 1.4] },
    { name: 'arm.L', parent: 1, head: [0.1, 0, 1.0], tail: [0.6, 0, 1.0] },
    { name: 'arm.R', parent: 1, head: [-0.1, 0, 1.0], tail: [-0.6, 0, 1.0] },
  ]))
  s.transact(() => {
    s.upsertObject(DEMO.floor, { name: 'Floor', type: 'MESH', xform: xf([0, 0, -0.06], [0, 0, 0], [9, 9, 0.1]) })
    s.upsertObject(DEMO.table, { name: 'Table', type: 'MESH', xform: xf([0, 0, 0.4], [0, 0, 0], [2.2, 1.2, 0.8]) })
    s.upsertObject(DEMO.lamp, { name: 'Lamp', type: 'MESH', parent: DEMO.table, xform: xf([0.3, 0.2, 0.7], [0, 0, 0], [0.1, 0.15, 0.5]) })
    s.upsertObject(DEMO.crate, { name: 'Crate', type: 'MESH', xform: xf([2.6, 3.0, 0.5], [0, 0, 20 * deg]) })
    s.upsertObject(DEMO.chair, { name: 'Chair', type: 'MESH', xform: xf([1.8, -1.4, 0.45], [0, 0, -30 * deg], [0.6, 0.6, 0.9]) })
    s.upsertObject(DEMO.camera, { name: 'Camera', type: 'CAMERA', xform: xf([7.4, -6.9, 5], [63.6 * deg, 0, 46.7 * deg]) })
    s.upsertObject(DEMO.key, { name: 'Key light', type: 'LIGHT', xform: xf([4, 1, 5.9]) })
    s.upsertObject(DEMO.fill, { name: 'Fill light', type: 'LIGHT', xform: xf([-4, -3, 4]) })
    s.upsertObject(DEMO.rig, { name: 'Rig', type: 'ARMATURE', xform: xf([-2, -2, 0], [0, 0, 0], [1.6, 1.6, 1.6]) })
    s.upsertObject(DEMO.target, { name: 'Look target', type: 'EMPTY', xform: xf([0, 0, 1.2]) })
    s.upsertObject(DEMO.drone, { name: 'Drone', type: 'MESH', xform: xf([3, 0, 2], [0, 0, 0], [0.5, 0.5, 0.2]) })
    s.upsertObject(DEMO.ring, { name: 'Ring', type: 'MESH', xform: xf([-3.3, 3.2, 1.1], [70 * deg, 0, 30 * deg], [0.6, 0.6, 0.6]) })
    linkData(e.doc, DEMO.ring, 'demo-data-ring')
    linkData(e.doc, DEMO.drone, 'demo-data-drone')
    linkData(e.doc, DEMO.lamp, 'demo-data-lamp')
    linkData(e.doc, DEMO.rig, 'demo-data-rig')
  })
  s.setBonePose(DEMO.rig, 'spine', xf([0, 0, 0], [0.25, 0, 0]))
  s.setBonePose(DEMO.rig, 'arm.L', xf([0, 0, 0], [0, 0, 0.6]))
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
