/**
 * The HTTP history routes on a real server over a recorded session: object
 * history by id or name, the paged timeline and its summary, and exports
 * streamed with the same auth as every room route.
 */
import { NodeIO } from '@gltf-transform/core'
import validator from 'gltf-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memorySink } from '../../src/export/byte-sink.js'
import { exportRange } from '../../src/export/export-range.js'
import { makeToken } from '../../src/server/tokens.js'
import { TimeTravel, type TimelinePage, type TimelineSummary } from '../../src/projection/time-travel.js'
import { CLIENTS, IDS, ROOM, T0, record } from '../helpers/recording.js'
import { type TestServer, startServer } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const SECRET = 'history-secret'
const token = (room: string) => makeToken(SECRET, { room, role: 'read', exp: Math.floor(Date.now() / 1000) + 600 })

describe('HTTP history routes', () => {
  let dir: string
  let server: TestServer
  const get = async (path: string, room = ROOM) => fetch(`${server.http}${path}`, { headers: { authorization: `Bearer ${await token(room)}` } })
  const json = async <T = any>(path: string): Promise<{ status: number; body: T }> => {
    const r = await get(path)
    return { status: r.status, body: (await r.json()) as T }
  }

  beforeAll(async () => {
    dir = tmpDir()
    await (await record(dir)).close()
    server = await startServer({ dir, secret: SECRET })
  })
  afterAll(async () => {
    await server.stop()
    rmTmp(dir)
  })

  it('object history takes an id or a name; unknown is 404, ambiguous is 409 with the matches', async () => {
    const byName = await json(`/rooms/${ROOM}/objects/Suzanne/history?from=2&to=9`)
    expect(byName.status).toBe(200)
    expect(byName.body).toMatchObject({ room: ROOM, object: IDS.suzanne, name: 'Suzanne', from: 2, to: 9 })
    expect(byName.body.points.map((p: { seq: number; what: string[] }) => [p.seq, p.what.join()])).toEqual([
      [2, 'location'],
      [3, 'rotation_mode,rotation'],
      [4, 'location'],
      [9, 'scale'],
    ])
    const byId = await json(`/rooms/${ROOM}/objects/${IDS.rig}/history`)
    expect(byId.body.bones.map((b: { bone: string; seq: number }) => `${b.bone}@${b.seq}`)).toEqual(['hand.L@1', 'root@1', 'hand.L@7', 'root@7', 'hand.L@11'])
    expect((await json(`/rooms/${ROOM}/objects/${encodeURIComponent('Cone')}/history`)).body.object).toBe(IDS.cone)
    const twin = await json(`/rooms/${ROOM}/objects/Twin/history`)
    expect(twin.status).toBe(409)
    expect(twin.body.code).toBe('ambiguous_object')
    expect(twin.body.matches.map((m: { id: string }) => m.id)).toEqual([IDS.twinA, IDS.twinB])
    const none = await json(`/rooms/${ROOM}/objects/Nobody/history`)
    expect([none.status, none.body.code]).toEqual([404, 'unknown_object'])
    const room = await fetch(`${server.http}/rooms/elsewhere/objects/Suzanne/history`, { headers: { authorization: `Bearer ${await token('elsewhere')}` } })
    expect(room.status).toBe(404)
    expect(((await room.json()) as { error: string }).error).toContain('no room "elsewhere"')
    expect((await json(`/rooms/${ROOM}/objects/Suzanne/history?from=soon`)).status).toBe(400)
  })

  it('the timeline pages through the log forwards and backwards, with who changed what by name', async () => {
    const first = await json<TimelinePage>(`/rooms/${ROOM}/timeline?limit=5`)
    expect(first.status).toBe(200)
    expect(first.body.first).toEqual({ seq: 1, time: T0 })
    expect(first.body.last).toEqual({ seq: 14, time: T0 + 5000 })
    expect(first.body.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect([first.body.prev, first.body.next]).toEqual([null, 5])
    expect(first.body.entries[0]!.changes.map((c) => `${c.name}:${c.what.join('+')}`)).toEqual([
      'Suzanne:created',
      'Pivot:created',
      'Hinge:created',
      'Rig:created+pose.hand.L+pose.root',
      'Still:created',
    ])
    const second = await json<TimelinePage>(`/rooms/${ROOM}/timeline?after=5&limit=5`)
    expect(second.body.entries.map((e) => [e.seq, e.user, e.changes.map((c) => `${c.name}:${c.what.join('+')}`).join(' ')])).toEqual([
      [6, 'bob', 'Hinge:location+rotation'],
      [7, 'ann', 'Rig:pose.hand.L+pose.root'],
      [8, 'bob', 'Cone:created'],
      [9, 'ann', 'Suzanne:scale Cone:location'],
      [10, 'bob', 'Spike:name'],
    ])
    const last = await json<TimelinePage>(`/rooms/${ROOM}/timeline?after=${second.body.next}&limit=5`)
    expect(last.body.entries.map((e) => e.seq)).toEqual([11, 12, 13, 14])
    expect(last.body.next).toBeNull()
    const back = await json<TimelinePage>(`/rooms/${ROOM}/timeline?before=6&limit=3`)
    expect(back.body.entries.map((e) => e.seq)).toEqual([3, 4, 5])
    expect(back.body.prev).toBe(3)
    expect((await json(`/rooms/${ROOM}/timeline?limit=0`)).status).toBe(400)
    expect((await json(`/rooms/${ROOM}/timeline?after=1&before=4`)).status).toBe(400)
  })

  it('the timeline summary covers the whole room: time buckets and where each client joined', async () => {
    const s = await json<TimelineSummary>(`/rooms/${ROOM}/timeline/summary?buckets=5`)
    expect(s.body.entries).toBe(14)
    expect(s.body.buckets).toHaveLength(5)
    expect(s.body.buckets.reduce((n, b) => n + b.entries, 0)).toBe(14)
    expect(s.body.buckets[0]).toEqual({ start: T0, end: T0 + 1000, entries: 2, from: 1, to: 2, users: ['ann'] })
    expect(s.body.joins).toEqual([
      { seq: 1, time: T0, user: 'ann', client: CLIENTS.ann },
      { seq: 3, time: T0 + 1000, user: 'bob', client: CLIENTS.bob },
    ])
  })

  it('exports stream each format with a file name and type; the bytes equal the library export', async () => {
    for (const [format, type] of [
      ['csv', 'text/csv; charset=utf-8'],
      ['parquet', 'application/vnd.apache.parquet'],
    ] as const) {
      const r = await get(`/rooms/${ROOM}/export?format=${format}&from=2&to=9`)
      expect(r.status).toBe(200)
      expect(r.headers.get('content-type')).toBe(type)
      expect(r.headers.get('content-disposition')).toBe(`attachment; filename="studio-2-9.${format}"`)
      expect(r.headers.get('transfer-encoding')).toBe('chunked')
      const want = memorySink()
      await exportRange(new TimeTravel(server.db), { room: ROOM, format, from: { seq: 2 }, to: { seq: 9 }, rowGroupRows: 16_384 }, want)
      expect(Buffer.from(await r.arrayBuffer()).equals(Buffer.from(want.bytes()))).toBe(true)
    }
    const glb = await get(`/rooms/${ROOM}/export?format=gltf&from=${new Date(T0 + 1000).toISOString()}&fps=10`)
    expect(glb.headers.get('content-type')).toBe('model/gltf-binary')
    const bytes = new Uint8Array(await glb.arrayBuffer())
    expect((await validator.validateBytes(bytes)).issues.numErrors).toBe(0)
    expect((await new NodeIO().readBinary(bytes)).getRoot().listAnimations()).toHaveLength(1)
  })

  it('exports refuse bad parameters before the first byte, and use the room tokens like every route', async () => {
    const bad = await json(`/rooms/${ROOM}/export?format=fbx`)
    expect([bad.status, bad.body.error]).toEqual([400, 'format must be one of gltf, csv, parquet, got "fbx"'])
    expect((await json(`/rooms/${ROOM}/export?format=gltf&fps=0`)).status).toBe(400)
    expect((await json(`/rooms/${ROOM}/export?format=csv&interpolation=linear`)).status).toBe(400)
    const nowhere = await fetch(`${server.http}/rooms/nowhere/export?format=csv`, { headers: { authorization: `Bearer ${await token('nowhere')}` } })
    expect(nowhere.status).toBe(404)
    expect((await fetch(`${server.http}/rooms/${ROOM}/export?format=csv`)).status).toBe(401)
    expect((await fetch(`${server.http}/rooms/${ROOM}/timeline`)).status).toBe(401)
    expect((await get(`/rooms/${ROOM}/export?format=csv`, 'other-room')).status).toBe(403)
    expect((await get(`/rooms/${ROOM}/objects/Suzanne/history`, 'other-room')).status).toBe(403)
    const head = await fetch(`${server.http}/rooms/${ROOM}/export?format=csv`, { method: 'HEAD', headers: { authorization: `Bearer ${await token(ROOM)}` } })
    expect([head.status, head.headers.get('x-scenesync-range')]).toEqual([200, '0-14'])
  })
})
