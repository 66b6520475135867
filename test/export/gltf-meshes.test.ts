/**
 * glTF exports carry meshes from the room's own history: a stock y-websocket
 * client writes a mesh, a linked duplicate and a second version through the
 * real server; the export route reads the geometry back from the log.
 */
import { NodeIO } from '@gltf-transform/core'
import validator from 'gltf-validator'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { IDENTITY_XFORM, SceneDoc, encodeGeometry } from '../../src/crdt/index.js'
import { meshData } from '../../src/export/log-geometry-source.js'
import { gridMesh } from '../helpers/geometry-arb.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'

let srv: TestServer | null = null
const providers: WebsocketProvider[] = []
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy()
  await srv?.stop()
  srv = null
})


describe('glTF export: meshes from the log', () => {
  it('a quad grid becomes two triangles per face, over the same vertices', () => {
    const m = meshData(gridMesh(3), 'Grid')
    expect(m.positions.length).toBe(16 * 3)
    expect(m.indices!.length).toBe(9 * 2 * 3)
    expect(Math.max(...m.indices!)).toBe(15)
  })

  it('[H1] each mesh object gets its geometry as at the range start (made within it: at its end); linked duplicates share one mesh', async () => {
    srv = await startServer()
    const doc = new Y.Doc()
    const p = new WebsocketProvider(srv.url, 'r', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
    providers.push(p)
    await waitFor(() => p.synced, 10_000, 'synced')
    const scene = new SceneDoc(doc)
    const ref = scene.putGeometry(encodeGeometry(gridMesh(4)))
    scene.transact(() => {
      for (const [id, name] of [['a', 'Grid'], ['b', 'Grid.001']]) {
        scene.upsertObject(id, { name, type: 'MESH' })
        scene.setXform(id, { ...IDENTITY_XFORM, location: [id === 'a' ? 0 : 3, 0, 0] })
        scene.setObjectRefs(id, { data: 'm' })
      }
      scene.upsertObject('e', { name: 'Empty', type: 'EMPTY' })
      scene.setXform('e', IDENTITY_XFORM)
      scene.upsertData('m', { kind: 'MESH', name: 'GridMesh', geometry: ref })
    })
    const start = async () => ((await (await fetch(`${srv!.http}/rooms/r/scene`)).json()) as { at: number; objects: unknown[] })
    await waitFor(async () => (await start()).objects.length === 3, 10_000, 'the scene projected')
    const at = (await start()).at
    // A later version does not change what the range's start showed.
    const ref2 = scene.putGeometry(encodeGeometry(gridMesh(2)))
    scene.transact(() => scene.upsertData('m', { kind: 'MESH', name: 'GridMesh', geometry: ref2 }))
    await waitFor(async () => (await start()).at > at, 10_000, 'the second version projected')
    const exported = async (from: number) => {
      const res = await fetch(`${srv!.http}/rooms/r/export?format=gltf&from=${from}`)
      expect(res.status).toBe(200)
      const bytes = new Uint8Array(await res.arrayBuffer())
      const report = await validator.validateBytes(bytes, { maxIssues: 50 })
      expect(report.issues.numErrors, JSON.stringify(report.issues.messages)).toBe(0)
      const gltf = await new NodeIO().readBinary(bytes)
      return { gltf, nodes: new Map(gltf.getRoot().listNodes().map((n) => [n.getName(), n])) }
    }
    // From just after the objects were made: the first version, shared by both.
    const { gltf, nodes } = await exported(at + 1)
    const a = nodes.get('Grid')!.getMesh()
    expect(a).not.toBeNull()
    expect(nodes.get('Grid.001')!.getMesh()).toBe(a)
    expect(nodes.get('Empty')!.getMesh()).toBeNull()
    expect(gltf.getRoot().listMeshes()).toHaveLength(1)
    expect(a!.getName()).toBe('GridMesh')
    const prim = a!.listPrimitives()[0]!
    expect(prim.getAttribute('POSITION')!.getCount()).toBe(25)
    expect(prim.getIndices()!.getCount()).toBe(16 * 2 * 3)
    // A range the objects were made in: their mesh as at its end.
    const made = await exported(at)
    expect(made.nodes.get('Grid')!.getMesh()!.listPrimitives()[0]!.getAttribute('POSITION')!.getCount()).toBe(9)
  })
})
