/**
 * The wall clock steps (NTP corrections, a VM resumed, an operator's typo):
 * Date.now() jumps while the process runs. Feed times must still never
 * decrease, time-travel reads by time must still answer, and nothing that
 * measures intervals (rate limits, keepalives) may misfire.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { SceneDoc, IDENTITY_XFORM } from '../../src/crdt/index.js'
import { START } from '../../src/log/event-log.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { TimeTravel } from '../../src/projection/time-travel.js'
import { RawClient } from '../helpers/raw-client.js'
import { startServer, waitFor } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const HOUR = 3600_000
const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  vi.restoreAllMocks()
  while (cleanup.length) await cleanup.pop()!()
})

const realNow = Date.now.bind(Date)
let offset = 0

/** Steps the process's wall clock by `ms` from now on (as an NTP step would). */
function stepClock(ms: number): void {
  if (!vi.isMockFunction(Date.now)) {
    offset = 0
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset)
  }
  offset += ms
}

function anUpdate(key: string, value: unknown, client: number): Uint8Array {
  const d = new Y.Doc()
  d.clientID = client
  d.getMap('objects').set(key, value as never)
  return Y.encodeStateAsUpdate(d)
}

describe('clock steps', () => {
  it('a clock stepped back an hour neither rate-limits writers nor silences keepalives', async () => {
    const s = await startServer({ limits: { keepaliveMs: 150, updatesPerSecond: 20 } })
    cleanup.push(() => s.stop())
    const c = await RawClient.connect(`${s.url}/r`)
    cleanup.push(() => c.close())
    await waitFor(() => c.received.length > 0)
    stepClock(-HOUR)
    const u = anUpdate('after-step', 1, 9)
    c.sendUpdate(u)
    await waitFor(() => c.echoed(u) || c.closed !== null, 5000, 'the echo')
    expect(c.closed).toBeNull()
    // Keepalives go on: an idle client is not left in silence until the clock catches up.
    const n = c.received.length
    await waitFor(() => c.received.slice(n).some((m) => m.type === 1), 3000, 'a keepalive after the step')
    stepClock(2 * HOUR)
    const v = anUpdate('after-forward-step', 2, 10)
    c.sendUpdate(v)
    await waitFor(() => c.echoed(v), 5000, 'the echo after a forward step')
    expect(c.closed).toBeNull()
  })

  it('feed times never decrease across steps and restarts, and scenes by time answer at every step', async () => {
    const dir = tmpDir()
    cleanup.push(() => rmTmp(dir))
    const scene = new SceneDoc()
    const updates: Uint8Array[] = []
    scene.doc.on('update', (u: Uint8Array) => updates.push(u))
    const put = async (log: SqliteEventLog, x: number) => {
      scene.upsertObject('o', { name: 'O', type: 'EMPTY', xform: { ...IDENTITY_XFORM, location: [x, 0, 0] } })
      await log.append('r', [{ update: updates.pop()!, origin: { client: scene.doc.clientID, user: 'u' } }])
    }
    let log = SqliteEventLog.open(dir)
    await put(log, 1)
    stepClock(HOUR)
    await put(log, 2)
    stepClock(-2 * HOUR)
    await put(log, 3)
    await log.close()
    // The process restarts with the clock still an hour behind.
    log = SqliteEventLog.open(dir)
    await put(log, 4)
    stepClock(-24 * HOUR)
    await put(log, 5)
    const feed = await log.readFeed(START)
    const times = feed.map((e) => e.time)
    expect(times).toHaveLength(5)
    expect(times.every((t, i) => i === 0 || times[i - 1]! <= t)).toBe(true)

    const db = openDatabase(':memory:')
    await new Projector(log, db).catchUp()
    const tt = new TimeTravel(db)
    for (const [i, t] of times.entries()) {
      // The scene at an entry's time shows the last entry with that time.
      const last = times.lastIndexOf(t)
      expect({ i, x: tt.sceneAt('r', { time: t })[0]!.xform!.location[0] }).toEqual({ i, x: last + 1 })
    }
    expect(tt.sceneAt('r', { time: times[0]! - 1 })).toEqual([])
    await log.close()
  })

  it('[L2] the log stamps entries with its injected clock, and a clock that steps back never makes feed times decrease', async () => {
    let now = 1_000_000
    const log = new SqliteEventLog(':memory:', { durability: 'normal', now: () => now })
    const put = (k: string) => log.append('r', [{ update: anUpdate(k, 1, 3), origin: { client: 3, user: 'u' } }])
    await put('a')
    now -= HOUR
    await put('b')
    now += 2 * HOUR
    await put('c')
    expect((await log.readFeed(START)).map((e) => e.time)).toEqual([1_000_000, 1_000_000, 1_000_000 + HOUR])
    await log.close()
  })
})
