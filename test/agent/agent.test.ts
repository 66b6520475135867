import { afterEach, describe, expect, it } from 'vitest'
import { START } from '../../src/log/event-log.js'
import { makeToken } from '../../src/server/tokens.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { AgentProcess, type Msg, freePort } from '../helpers/agent-process.js'
import { type ServerProcess, spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const X = (location: number[], mode = 'XYZ', rotation = [0, 0, 0]) => ({ mode, location, rotation, scale: [1, 1, 1] })

const cleanup: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

async function setup(port?: number): Promise<{ dir: string; srv: ServerProcess; url: string; agent: (name: string, journal?: string) => AgentProcess }> {
  const dir = tmpDir()
  cleanup.push(() => rmTmp(dir))
  const srv = await spawnServer(dir, [], port ?? 0)
  cleanup.push(() => srv.kill('SIGTERM'))
  const agent = (name: string, journal = tmpDir()) => {
    const a = AgentProcess.start(srv.url, 'studio', name, journal)
    cleanup.push(() => a.kill())
    return a
  }
  return { dir, srv, url: srv.url, agent }
}

const isObject = (id: string, pred: (m: Msg) => boolean = () => true) => (m: Msg) => m.type === 'object' && m.id === id && pred(m)
const synced = (m: Msg) => m.type === 'status' && m.status === 'synced'

describe('agent', () => {
  it('two agents in one room see each other’s edits and presence, and never get their own edits echoed', async () => {
    const { agent } = await setup()
    const a = agent('Ann')
    const b = agent('Bob')
    await a.waitFor(synced, 'A synced')
    await b.waitFor(synced, 'B synced')
    a.send({ op: 'upsert', id: 'cube', name: 'Cube', type: 'MESH', xform: X([1, 2, 3]) })
    a.send({ op: 'batch', ops: [{ op: 'xform', id: 'cube', xform: X([4, 5, 6], 'QUATERNION', [1, 0, 0, 0]) }, { op: 'rename', id: 'cube', name: 'Box' }] })
    const got = await b.waitFor(isObject('cube', (m) => m.name === 'Box'), 'B sees the edit')
    expect(got).toMatchObject({ objectType: 'MESH', xform: X([4, 5, 6], 'QUATERNION', [1, 0, 0, 0]), parent: null, visible: true })
    b.send({ op: 'upsert', id: 'rig', name: 'Rig', type: 'ARMATURE' })
    b.send({ op: 'pose', id: 'rig', bones: { spine: X([0, 1, 0]) } })
    b.send({ op: 'reparent', id: 'cube', parent: 'rig' })
    await a.waitFor(isObject('rig', (m) => (m.pose as Record<string, unknown>).spine !== undefined), 'A sees the pose')
    await a.waitFor(isObject('cube', (m) => m.parent === 'rig'), 'A sees the reparent')
    b.send({ op: 'selection', selection: ['cube'], active: 'cube' })
    const peers = await a.waitFor((m) => m.type === 'peers' && (m.peers as Array<{ name: string; selection: string[] }>).some((p) => p.name === 'Bob' && p.selection[0] === 'cube'), 'A sees B selecting')
    expect((peers.peers as Array<{ color: string }>)[0]!.color).toMatch(/^hsl\(/)
    b.send({ op: 'delete', id: 'cube' })
    await a.waitFor((m) => m.type === 'delete' && m.id === 'cube', 'A sees the delete')
    await new Promise((r) => setTimeout(r, 200))
    // [B1] no echo: A never heard back about the object it made, B never about its own rig.
    expect(a.messages.filter((m) => m.type === 'object' && m.id === 'cube' && m.name === 'Cube')).toEqual([])
    expect(b.messages.filter(isObject('rig'))).toEqual([])
  })

  it('a malformed line gets an error line naming the problem, and the agent keeps running', async () => {
    const { agent } = await setup()
    const a = agent('Ann')
    const b = agent('Bob')
    await a.waitFor(synced, 'A synced')
    a.send('this is not json')
    a.send({ op: 'teleport', id: 'x', req: 7 })
    a.send({ op: 'xform', id: 'x', xform: { mode: 'XYZ', location: [0, 0], rotation: [0, 0, 0], scale: [1, 1, 1] }, req: 'r8' })
    a.send({ op: 'xform', id: 'nope', xform: X([0, 0, 0]) })
    a.send({ op: 'upsert', id: 'ok', name: 'Fine', type: 'EMPTY' })
    await b.waitFor(isObject('ok'), 'B sees the valid op after the bad ones')
    const errors = a.of<Msg & { message: string; req?: unknown }>('error')
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^line 1: invalid JSON/),
      expect.stringMatching(/^line 2: .*unknown op "teleport"/),
      expect.stringMatching(/^line 3: xform: "xform": xform.location must be 3 numbers/),
      expect.stringMatching(/^line 4: no object with id "nope"/),
    ])
    expect(errors[1]!.req).toBe(7)
    expect(errors[2]!.req).toBe('r8')
  })

  it('[B3] offline edits made with the server down merge after it returns', async () => {
    const port = await freePort()
    const { dir, srv, url, agent } = await setup(port)
    const a = agent('Ann')
    const b = agent('Bob')
    await a.waitFor(synced, 'A synced')
    await b.waitFor(synced, 'B synced')
    a.send({ op: 'upsert', id: 'o1', name: 'One', type: 'EMPTY', xform: X([0, 0, 0]) })
    a.send({ op: 'upsert', id: 'o2', name: 'Two', type: 'EMPTY', xform: X([0, 0, 0]) })
    await b.waitFor(isObject('o2'), 'B has both objects')
    await srv.kill('SIGKILL')
    await a.waitFor((m) => m.type === 'status' && m.status === 'offline', 'A offline')
    a.send({ op: 'xform', id: 'o1', xform: X([7, 7, 7]) })
    b.send({ op: 'rename', id: 'o2', name: 'Two (renamed offline)' })
    const back = await spawnServer(dir, [], port)
    cleanup.push(() => back.kill('SIGTERM'))
    expect(back.url).toBe(url)
    await b.waitFor(isObject('o1', (m) => JSON.stringify((m.xform as { location: number[] }).location) === '[7,7,7]'), 'B gets A’s offline move')
    await a.waitFor(isObject('o2', (m) => m.name === 'Two (renamed offline)'), 'A gets B’s offline rename')
  })

  it('[B3] an agent restarted with unsynced edits loses none of them', async () => {
    const port = await freePort()
    const { dir, srv, agent } = await setup(port)
    const journal = tmpDir()
    cleanup.push(() => rmTmp(journal))
    const a = agent('Ann', journal)
    await a.waitFor(synced, 'A synced')
    a.send({ op: 'upsert', id: 'keep', name: 'Keep', type: 'EMPTY', xform: X([1, 1, 1]) })
    await new Promise((r) => setTimeout(r, 300))
    await srv.kill('SIGKILL')
    a.send({ op: 'xform', id: 'keep', xform: X([9, 8, 7]) })
    a.send({ op: 'upsert', id: 'new', name: 'Made offline', type: 'MESH' })
    await new Promise((r) => setTimeout(r, 200))
    // The agent dies with its edits unsynced; a new one starts from the journal.
    await a.kill('SIGKILL')
    const back = await spawnServer(dir, [], port)
    cleanup.push(() => back.kill('SIGTERM'))
    const a2 = agent('Ann', journal)
    const b = agent('Bob')
    await a2.waitFor(synced, 'A again synced')
    const scene = () => [...b.of<Msg & { objects: Array<Msg & { id: string }> }>('scene').flatMap((s) => s.objects), ...b.of<Msg & { id: string }>('object')]
    await b.waitFor(() => scene().some((o) => o.id === 'new'), 'B has the object made offline')
    await b.waitFor(() => scene().some((o) => o.id === 'keep' && JSON.stringify((o.xform as { location: number[] }).location) === '[9,8,7]'), 'B has the offline move')
    await back.kill('SIGTERM')
    const log = SqliteEventLog.open(dir)
    const entries = await log.readRoom('studio', START)
    await log.close()
    expect(entries.length).toBeGreaterThanOrEqual(2)
  })

  it('reports offline when the server is down from the start, and synced once it is up', async () => {
    const port = await freePort()
    const dir = tmpDir()
    cleanup.push(() => rmTmp(dir))
    const a = AgentProcess.start(`ws://127.0.0.1:${port}`, 'studio', 'Ann', tmpDir())
    cleanup.push(() => a.kill())
    await a.waitFor((m) => m.type === 'status' && m.status === 'offline', 'offline')
    a.send({ op: 'scene', req: 'q1' })
    await a.waitFor((m) => m.type === 'scene' && m.reason === 'request' && m.req === 'q1', 'a scene answer echoing req')
    const srv = await spawnServer(dir, [], port)
    cleanup.push(() => srv.kill('SIGTERM'))
    await a.waitFor((m) => m.type === 'scene' && m.reason === 'sync', 'the sync scene')
    await a.waitFor(synced, 'synced')
  })

  it('[S3] with a read-only token, the first refused edit is reported and later edits are refused at once', async () => {
    const dir = tmpDir()
    cleanup.push(() => rmTmp(dir))
    const srv = await spawnServer(dir, ['--secret', 'agent-secret'])
    cleanup.push(() => srv.kill('SIGTERM'))
    const exp = Math.floor(Date.now() / 1000) + 600
    const writer = AgentProcess.start(srv.url, 'studio', 'W', tmpDir(), ['--token', await makeToken('agent-secret', { room: 'studio', role: 'write', exp })])
    const reader = AgentProcess.start(srv.url, 'studio', 'R', tmpDir(), ['--token', await makeToken('agent-secret', { room: 'studio', role: 'read', exp })])
    cleanup.push(() => writer.kill(), () => reader.kill())
    await writer.waitFor(synced, 'writer synced')
    await reader.waitFor(synced, 'reader synced')
    writer.send({ op: 'upsert', id: 'w', name: 'Written', type: 'EMPTY' })
    await reader.waitFor(isObject('w'), 'the reader sees the writer’s edit')
    reader.send({ op: 'upsert', id: 'r', name: 'Refused', type: 'EMPTY' })
    await reader.waitFor((m) => m.type === 'error' && /refused this edit/.test(String(m.message)), 'the refusal')
    await reader.waitFor((m) => m.type === 'status' && m.detail === 'read-only', 'read-only status')
    reader.send({ op: 'xform', id: 'w', xform: X([1, 1, 1]) })
    await reader.waitFor((m) => m.type === 'error' && /^line 2: read-only/.test(String(m.message)), 'the second edit refused at once')
    await new Promise((r) => setTimeout(r, 200))
    expect(writer.messages.filter(isObject('r'))).toEqual([])
  })

  it('exits when its stdin closes', async () => {
    const { agent } = await setup()
    const a = agent('Ann')
    await a.waitFor(synced, 'A synced')
    expect(await a.end()).toBe(0)
  })
})
