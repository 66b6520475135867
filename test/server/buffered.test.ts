/**
 * A client that stops reading is dropped; a client that reads a burst larger
 * than the unsent-bytes limit (a mesh's chunks, a joiner's sync reply) is not.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { SceneDoc, encodeGeometry } from '../../src/crdt/index.js'
import { gridMesh } from '../helpers/geometry-arb.js'
import { RawClient } from '../helpers/raw-client.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'

let srv: TestServer | null = null
afterEach(async () => {
  await srv?.stop()
  srv = null
})

describe('unsent bytes', () => {
  it('[S4] a burst of 12 MiB to a reading client with a 2 MiB limit arrives; a client that stopped reading is dropped', async () => {
    // Made first: a long synchronous stretch would make the in-process server miss the clients' pongs.
    const scene = new SceneDoc()
    const updates: Uint8Array[] = []
    scene.doc.on('update', (u: Uint8Array) => updates.push(u))
    scene.putGeometry(encodeGeometry(gridMesh(350))) // ~12 MB: 12 chunk updates
    srv = await startServer({ limits: { maxBufferedBytes: 2 << 20, keepaliveMs: 1000 } })
    const url = `${srv.url}/burst`
    const reader = await RawClient.connect(url)
    const stalled = await RawClient.connect(url)
    const writer = await RawClient.connect(url)
    await waitFor(() => stalled.received.length > 0 && reader.received.length > 0, 5000, 'both synced')
    const socket = (stalled.ws as unknown as { _socket: { pause(): void; destroy(): void } })._socket
    socket.pause()
    expect(updates.length).toBeGreaterThanOrEqual(10)
    for (const u of updates) writer.sendUpdate(u)
    await waitFor(() => updates.every((u) => reader.echoed(u)), 20_000, 'the reader to get every chunk').catch((e) => { throw new Error(`${e.message}: echoed ${updates.filter((u) => reader.echoed(u)).length}/${updates.length}, reader ${JSON.stringify(reader.closed)}, writer ${JSON.stringify(writer.closed)}, stalled ${JSON.stringify(stalled.closed)}`) })
    expect(reader.closed).toBeNull()
    // Dropped (for unsent bytes not drained between two ticks, or as a dead peer that answers no ping);
    // its paused socket never hears of it, so look at the server's side.
    await waitFor(() => srv!.server.metrics.connections === 2, 10_000, 'the stalled client to be dropped')
    expect(reader.closed).toBeNull()
    expect(writer.closed).toBeNull()
    socket.destroy()
    reader.close()
    writer.close()
  })
})
