/**
 * The read routes the web view uses, over a real server, log and projection:
 * room listing by token, a room's span, activity per person, paged changes,
 * one object's last change, the diff, and the page itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { IDENTITY_XFORM, SceneDoc } from '../../src/crdt/index.js'
import { makeToken } from '../../src/server/tokens.js'
import { type TestServer, startServer, waitFor } from '../helpers/server.js'

const SECRET = 'page-routes-secret'
const ID = '0b7c2f7e-aaaa-4000-8000-000000000001'
const OTHER = '0b7c2f7e-aaaa-4000-8000-000000000002'
let s: TestServer
const token = (room: string, role: 'read' | 'write' = 'read') => makeToken(SECRET, { room, role, exp: Math.floor(Date.now() / 1000) + 600 })

async function get(path: string, tok?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(s.http + path, { headers: tok ? { authorization: `Bearer ${tok}` } : {} })
  const text = await res.text()
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text }
}

/** Appends the edits `fn` makes to a scene, as one log entry by `user`. */
async function edit(room: string, scene: SceneDoc, user: string, fn: (s: SceneDoc) => void): Promise<void> {
  const before = Y.encodeStateVector(scene.doc)
  fn(scene)
  await s.log.append(room, [{ update: Y.encodeStateAsUpdate(scene.doc, before), origin: { client: scene.doc.clientID, user } }])
}

beforeAll(async () => {
  s = await startServer({ secret: SECRET })
  const studio = new SceneDoc()
  const stage = new SceneDoc()
  await edit('studio', studio, 'ana', (d) => d.upsertObject(ID, { name: 'Cube', type: 'MESH', xform: IDENTITY_XFORM }))
  await edit('studio', studio, 'ana', (d) => d.upsertObject(OTHER, { name: 'Lamp', type: 'LIGHT', xform: IDENTITY_XFORM }))
  for (let i = 1; i <= 5; i++) await edit('studio', studio, i % 2 ? 'ben' : 'ana', (d) => d.setXform(ID, { ...IDENTITY_XFORM, location: [i, 0, 0] }))
  await edit('stage', stage, 'cy', (d) => d.upsertObject(ID, { name: 'Prop', type: 'EMPTY' }))
  await edit('studio', studio, 'ana', (d) => d.rename(OTHER, 'Key light'))
  await waitFor(() => s.projector.position().seq === 9, 10_000, 'projection')
})
afterAll(() => s?.stop())

describe('page routes', () => {
  it('[S3] GET /rooms lists only the rooms the token may read; no or a forged token is 401', async () => {
    expect((await get('/rooms', await token('*'))).body.rooms.map((r: any) => r.room)).toEqual(['stage', 'studio'])
    const one = (await get('/rooms', await token('stu*'))).body
    expect(one).toMatchObject({ auth: true, pattern: 'stu*', role: 'read', rooms: [{ room: 'studio', objects: 2 }] })
    expect(one.rooms[0].lastTime).toBeGreaterThan(0)
    // A room with no history yet is listed when the token names it.
    expect((await get('/rooms', await token('new-room'))).body.rooms).toEqual([{ room: 'new-room', objects: 0, lastSeq: null, lastTime: null }])
    expect((await get('/rooms')).status).toBe(401)
    const forged = await makeToken('another-secret', { room: '*', role: 'write', exp: Math.floor(Date.now() / 1000) + 60 })
    const r = await get('/rooms', forged)
    expect(r.status).toBe(401)
    expect(r.body.error).toMatch(/signature/)
  })

  it('[S3] room routes refuse a token of another room with 403 and say which room it is for', async () => {
    const r = await get('/rooms/studio/span', await token('stage'))
    expect(r.status).toBe(403)
    expect(r.body.error).toBe('token is for room "stage", not "studio"')
  })

  it('timeline: first and last entry of the room, the role, the server clock', async () => {
    const t = (await get('/rooms/studio/span', await token('studio'))).body
    expect(t.first.seq).toBe(1)
    expect(t.last.seq).toBe(9)
    expect(t.head).toBe(9)
    expect(t.role).toBe('read')
    expect(Math.abs(t.now - Date.now())).toBeLessThan(60_000)
    expect((await get('/rooms/nothing-here/span', await token('*'))).body).toMatchObject({ first: null, last: null })
  })

  it('activity: log entries per bucket and person add up to the room’s entries', async () => {
    const a = (await get('/rooms/studio/activity?buckets=10', await token('studio'))).body
    const per: Record<string, number> = {}
    for (const [b, u, n] of a.cells) {
      expect(b).toBeGreaterThanOrEqual(0)
      expect(b).toBeLessThan(10)
      per[a.users[u]] = (per[a.users[u]] ?? 0) + n
    }
    expect(per).toEqual({ ana: 5, ben: 3 })
    expect((await get('/rooms/studio/activity?from=5&to=1', await token('studio'))).status).toBe(400)
    expect((await get('/rooms/studio/activity?buckets=zero', await token('studio'))).body.error).toMatch(/buckets must be a whole number/)
  })

  it('changes: pages of the latest entries, oldest first, with names as of then; next walks back to the start', async () => {
    const p1 = (await get('/rooms/studio/changes?limit=3', await token('studio'))).body
    expect(p1.changes.map((c: any) => [c.seq, c.name, c.what])).toEqual([
      [6, 'Cube', ['location']],
      [7, 'Cube', ['location']],
      [9, 'Key light', ['name']],
    ])
    expect(p1.next).toBe(5)
    const seen = [...p1.changes]
    let next = p1.next
    while (next !== null) {
      const p = (await get(`/rooms/studio/changes?limit=3&to=${next}`, await token('studio'))).body
      seen.unshift(...p.changes)
      next = p.next
    }
    expect(seen.map((c: any) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 9])
    expect(seen[1]).toMatchObject({ user: 'ana', objectId: OTHER, name: 'Lamp', what: ['created'] })
  })

  it('object: the object at a point and its last change by then (who, when, what)', async () => {
    const now = (await get(`/rooms/studio/objects/${ID}`, await token('studio'))).body
    expect(now.object.xform.location).toEqual([5, 0, 0])
    expect(now.lastChange).toMatchObject({ seq: 7, user: 'ben', what: ['location'] })
    const past = (await get(`/rooms/studio/objects/${ID}?at=4`, await token('studio'))).body
    expect(past.object.xform.location).toEqual([2, 0, 0])
    expect(past.lastChange).toMatchObject({ seq: 4, user: 'ana' })
    expect((await get('/rooms/studio/objects/no-such-id', await token('studio'))).body).toMatchObject({ object: null, lastChange: null })
    // Before it was created: not there, no change yet.
    expect((await get(`/rooms/studio/objects/${OTHER}?at=1`, await token('studio'))).body).toMatchObject({ object: null, lastChange: null })
  })

  it('diff: what changed between two points', async () => {
    const d = (await get('/rooms/studio/diff?from=2&to=9', await token('studio'))).body
    expect(d.added).toEqual([])
    expect(d.changed.map((c: any) => c.id).sort()).toEqual([ID, OTHER].sort())
  })

  it('GET / serves the web view page, or says how to build it', async () => {
    const r = await fetch(s.http + '/')
    expect(r.headers.get('content-type')).toMatch(/text\/html/)
    expect(await r.text()).toMatch(/scenesync/)
    expect((await fetch(s.http + '/web/../package.json')).status).toBe(404)
  })
})
