/**
 * Per-channel newest-wins through real agents: what Blender sends (the
 * channels it changed, and for edits made while disconnected, when), what the
 * agents store, and how two agents' concurrent values merge. A stock
 * y-websocket client watches the room's doc, times included.
 */
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { SceneDoc } from '../../src/crdt/index.js'
import { AgentProcess, type Msg, freePort } from '../helpers/agent-process.js'
import { waitFor } from '../helpers/server.js'
import { type ServerProcess, spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const X = (location: number[], scale = [1, 1, 1]) => ({ mode: 'XYZ', location, rotation: [0, 0, 0], scale })

const cleanup: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

async function setup(port?: number) {
  const dir = tmpDir()
  cleanup.push(() => rmTmp(dir))
  let srv: ServerProcess = await spawnServer(dir, [], port ?? 0)
  cleanup.push(() => srv.kill('SIGTERM'))
  const agent = (name: string) => {
    const journal = tmpDir()
    cleanup.push(() => rmTmp(journal))
    const a = AgentProcess.start(srv.url, 'studio', name, journal)
    cleanup.push(() => a.kill())
    return a
  }
  /** A stock Yjs client in the room, to read what the agents stored. */
  const watch = () => {
    const doc = new Y.Doc()
    const p = new WebsocketProvider(srv.url, 'studio', doc, { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
    cleanup.push(() => p.destroy())
    return new SceneDoc(doc)
  }
  const restart = async () => {
    srv = await spawnServer(dir, [], port)
    cleanup.push(() => srv.kill('SIGTERM'))
  }
  return { dir, srv: () => srv, agent, watch, restart }
}

const synced = (m: Msg) => m.type === 'status' && m.status === 'synced'
const objectWith = (id: string, pred: (m: Msg & { xform: ReturnType<typeof X> }) => boolean) => (m: Msg) =>
  m.type === 'object' && m.id === id && pred(m as Msg & { xform: ReturnType<typeof X> })

describe('agent: per-channel transforms', () => {
  it('[B3] writes only the channels Blender names, and stamps them on the server-referenced clock', async () => {
    const { agent, watch } = await setup()
    const a = agent('Ann')
    await a.waitFor(synced, 'A synced')
    const room = watch()
    a.send({ op: 'upsert', id: 'o', name: 'O', type: 'EMPTY', xform: X([1, 2, 3]) })
    await waitFor(() => room.readStampedXform('o') !== undefined, 10_000, 'the upsert')
    const created = room.readStampedXform('o')!
    const before = Date.now()
    // The location in this op is stale: only the scale channel is Blender's edit.
    a.send({ op: 'xform', id: 'o', xform: X([0, 0, 0], [2, 2, 2]), channels: ['scale'] })
    await waitFor(() => room.readStampedXform('o')!.xform.scale[0] === 2, 10_000, 'the scale')
    const after = room.readStampedXform('o')!
    expect(after.xform.location).toEqual([1, 2, 3])
    expect(after.times[0]).toBe(created.times[0])
    expect(after.times[2]).toBeGreaterThan(created.times[2])
    // Same machine as the server: the server-referenced clock is this clock, give or take the round trip.
    expect(Math.abs(after.times[2] - before)).toBeLessThan(60_000)
  })

  it('[B3] an edit made while disconnected keeps the channels someone edited later, and Blender is told the room\'s value', async () => {
    const { agent, watch } = await setup()
    const a = agent('Ann')
    const b = agent('Bob')
    await a.waitFor(synced, 'A synced')
    await b.waitFor(synced, 'B synced')
    const room = watch()
    a.send({ op: 'upsert', id: 'o', name: 'O', type: 'EMPTY', xform: X([0, 0, 0]) })
    await b.waitFor(objectWith('o', () => true), 'B has the object')
    await new Promise((r) => setTimeout(r, 50))
    // A's Blender moves and scales it now, while disconnected from its agent ...
    const edited = Date.now()
    await new Promise((r) => setTimeout(r, 50))
    // ... then B moves it, live ...
    b.send({ op: 'xform', id: 'o', xform: X([5, 0, 0]), channels: ['location'] })
    await a.waitFor(objectWith('o', (m) => m.xform.location[0] === 5), 'A sees B move it')
    // ... and A's Blender reconnects and sends its edit with the time it was made.
    a.send({ op: 'xform', id: 'o', xform: X([9, 0, 0], [3, 3, 3]), at: edited })
    const told = await a.waitFor(objectWith('o', (m) => m.xform.location[0] === 5 && m.xform.scale[0] === 3), 'A is told the room kept B\'s later move')
    expect(told.xform).toEqual(X([5, 0, 0], [3, 3, 3]))
    await waitFor(() => room.readStampedXform('o')?.xform.scale[0] === 3, 10_000, 'the scale in the room')
    expect(room.readStampedXform('o')!.xform.location).toEqual([5, 0, 0])
  })

  it('[B3] two agents that edited different channels while the server was down both keep their edits when it is back', async () => {
    const port = await freePort()
    const { agent, srv, restart, watch } = await setup(port)
    const a = agent('Ann')
    const b = agent('Bob')
    await a.waitFor(synced, 'A synced')
    await b.waitFor(synced, 'B synced')
    a.send({ op: 'upsert', id: 'cube', name: 'Cube', type: 'MESH', xform: X([0, 0, 0]) })
    await b.waitFor(objectWith('cube', () => true), 'B has the cube')
    await srv().kill('SIGKILL')
    await a.waitFor((m) => m.type === 'status' && m.status === 'offline', 'A offline')
    await b.waitFor((m) => m.type === 'status' && m.status === 'offline', 'B offline')
    a.send({ op: 'xform', id: 'cube', xform: X([0, 0, 0], [2, 2, 2]), channels: ['scale'] })
    await new Promise((r) => setTimeout(r, 20))
    b.send({ op: 'xform', id: 'cube', xform: X([4, 0, 0]), channels: ['location'] })
    await new Promise((r) => setTimeout(r, 300))
    await restart()
    const both = (m: { xform: ReturnType<typeof X> }) => m.xform.location[0] === 4 && m.xform.scale[0] === 2
    // Whichever value Yjs kept, the agent whose value lost merges it, and each
    // Blender is told the merged value (as a change, or in the scene of its resync).
    const told = (p: AgentProcess) => () =>
      p.messages.some((m) => (m.type === 'object' && m.id === 'cube' && both(m as never)) ||
        (m.type === 'scene' && (m.objects as Array<{ id: string; xform: ReturnType<typeof X> }>).some((o) => o.id === 'cube' && both(o))))
    await waitFor(told(a), 20_000, 'A told the merged value')
    await waitFor(told(b), 20_000, 'B told the merged value')
    const room = watch()
    await waitFor(() => room.readStampedXform('cube')?.xform.scale[0] === 2 && room.readStampedXform('cube')?.xform.location[0] === 4, 20_000, 'the merged value in the room')
  })

  it('says once, in words, that the server does not answer, however often it retries', async () => {
    const port = await freePort()
    const journal = tmpDir()
    cleanup.push(() => rmTmp(journal))
    const a = AgentProcess.start(`ws://127.0.0.1:${port}`, 'studio', 'Ann', journal)
    cleanup.push(() => a.kill())
    await a.waitFor((m) => m.type === 'status' && m.status === 'offline', 'offline')
    // The provider retries with a backoff of at most 2 s: several attempts in 5 s.
    await new Promise((r) => setTimeout(r, 5000))
    const offline = a.messages.filter((m) => m.type === 'status' && m.status === 'offline')
    expect(offline).toHaveLength(1)
    expect(offline[0]!.detail).toBe(`The server at ws://127.0.0.1:${port} does not answer (nothing listens there). Check the Server address and that the server is running; edits are kept and sent when it answers.`)
    expect(a.messages.filter((m) => m.type === 'error')).toEqual([])
  })

  it('refuses channels and edit times it cannot use, naming them', async () => {
    const { agent } = await setup()
    const a = agent('Ann')
    await a.waitFor(synced, 'A synced')
    a.send({ op: 'upsert', id: 'o', name: 'O', type: 'EMPTY' })
    a.send({ op: 'xform', id: 'o', xform: X([1, 1, 1]), channels: ['position'] })
    a.send({ op: 'xform', id: 'o', xform: X([1, 1, 1]), at: -5 })
    a.send({ op: 'pose', id: 'o', bones: { spine: X([0, 0, 0]) }, channels: { arm: ['location'] } })
    await a.waitFor((m) => a.of('error').length >= 3 && m.type === 'error', 'three errors')
    expect(a.of<Msg & { message: string }>('error').map((e) => e.message)).toEqual([
      expect.stringMatching(/"channels" must be a non-empty array of location, rotation, scale, got \["position"\]/),
      expect.stringMatching(/"at" must be a time in ms since the Unix epoch, got -5/),
      expect.stringMatching(/"channels" names bone "arm", which "bones" does not hold/),
    ])
  })
})
