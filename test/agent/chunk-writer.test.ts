/**
 * Geometry uploads are paced by the server's acknowledgements: never more than
 * the window of chunks unacknowledged, so a sync reply after a dropped
 * connection stays below the server's message limit; offline, nothing is written.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CHUNK_BYTES, SceneDoc, encodeGeometry, geometryHash } from '../../src/crdt/index.js'
import { ChunkWriter } from '../../src/agent/chunk-writer.js'
import { DEFAULT_LIMITS } from '../../src/server/connection.js'
import { gridMesh } from '../helpers/geometry-arb.js'
import { waitFor } from '../helpers/server.js'

describe('chunk writer', () => {
  it('[S4] keeps at most the window unacknowledged, below the server\'s message limit, and finishes as acknowledgements come', async () => {
    const scene = new SceneDoc()
    const server = new Y.Doc() // what the server has received and acknowledged
    const sent: Uint8Array[] = []
    scene.doc.on('update', (u: Uint8Array) => sent.push(u))
    let online = true
    const window = 4 * CHUNK_BYTES
    const writer = new ChunkWriter(scene.doc, scene.geometry, 'local', () => online, window)
    expect(window).toBeLessThan(DEFAULT_LIMITS.maxMessageBytes)
    const bytes = encodeGeometry(gridMesh(400)) // ~13 chunks
    let done = false
    void writer.write(geometryHash(bytes), bytes).then(() => (done = true))
    const unacked = () => Y.encodeStateAsUpdate(scene.doc, Y.encodeStateVector(server)).length
    let worst = 0
    for (let i = 0; i < 200 && !done; i++) {
      await new Promise((r) => setImmediate(r))
      worst = Math.max(worst, unacked())
      // The server takes one update per turn and echoes it, byte for byte.
      const u = sent.shift()
      if (u) {
        Y.applyUpdate(server, u)
        writer.echoed(u.slice())
      }
    }
    expect(done).toBe(true)
    // What a reconnect would have to resend at any moment: at most the window (plus a chunk being written).
    expect(worst).toBeLessThanOrEqual(window + CHUNK_BYTES + 1024)
    expect(worst).toBeGreaterThan(CHUNK_BYTES)
    // Offline: nothing is written until it is back.
    online = false
    const other = encodeGeometry(gridMesh(100))
    let otherDone = false
    void writer.write(geometryHash(other), other).then(() => (otherDone = true))
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
    expect(otherDone).toBe(false)
    online = true
    writer.reset()
    await waitFor(() => otherDone, 5000, 'the upload to resume')
  })

  it('stalls without acknowledgements instead of writing the whole value', async () => {
    const scene = new SceneDoc()
    const writer = new ChunkWriter(scene.doc, scene.geometry, 'local', () => true, 2 * CHUNK_BYTES)
    const bytes = encodeGeometry(gridMesh(400))
    void writer.write(geometryHash(bytes), bytes)
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r))
    expect(scene.geometry.size).toBe(2)
  })
})
