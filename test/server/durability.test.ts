import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import path from 'node:path'
import { IDENTITY_XFORM, SceneDoc } from '../../src/crdt/index.js'
import { START } from '../../src/log/event-log.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { openDatabase } from '../../src/projection/sql.js'
import { seedFor } from '../helpers/prop.js'
import { RawClient } from '../helpers/raw-client.js'
import { waitFor } from '../helpers/server.js'
import { spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const ROUNDS = 20
const CLIENTS = 3

interface Sent {
  update: Uint8Array
  object: string
  location: [number, number, number]
}

describe('durability', () => {
  it(`[L1] [S1] SIGKILL at random moments under load, ${ROUNDS} rounds: every acknowledged update is in the log, the projection and every client after resync`, async () => {
    const dir = tmpDir()
    const seed = seedFor('L1 SIGKILL rounds')
    const r = fc.sample(fc.integer({ min: 30, max: 400 }), { seed, numRuns: ROUNDS })
    const acked: Sent[] = []
    let sentTotal = 0
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const srv = await spawnServer(dir)
        const clients = await Promise.all(Array.from({ length: CLIENTS }, () => RawClient.connect(`${srv.url}/durable`)))
        const sent: Array<{ c: RawClient; s: Sent }> = []
        const writers = clients.map((c, i) => {
          const scene = new SceneDoc()
          const object = `r${round}-c${i}`
          let n = 0
          scene.doc.on('update', (u: Uint8Array) => {
            const s: Sent = { update: u, object, location: [round, i, n] }
            sent.push({ c, s })
            c.sendUpdate(u)
          })
          scene.upsertObject(object, { name: object, type: 'EMPTY', xform: { ...IDENTITY_XFORM, location: [round, i, 0] } })
          return { scene, object, next: () => scene.setXform(object, { ...IDENTITY_XFORM, location: [round, i, ++n] }) }
        })
        // Load until the kill: each client sends an update every millisecond or two.
        const load = setInterval(() => writers.forEach((w) => w.next()), 1)
        await new Promise((res) => setTimeout(res, r[round]))
        await srv.kill('SIGKILL')
        clearInterval(load)
        sentTotal += sent.length
        // Acknowledged = echoed to its sender before the kill.
        for (const { c, s } of sent) if (c.echoed(s.update)) acked.push(s)
        for (const c of clients) c.close()
      }
      expect(acked.length).toBeGreaterThan(ROUNDS)

      // Restart once more: clients resync, then a graceful stop lets us read the files.
      const srv = await spawnServer(dir)
      const doc = new Y.Doc()
      const p = new WebsocketProvider(srv.url, 'durable', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
      await waitFor(() => p.synced, 15_000, 'resync')
      const sv = Y.encodeStateVector(doc)
      const missingInClient = acked.filter((a) => Y.decodeUpdate(Y.diffUpdate(a.update, sv)).structs.length > 0)
      p.destroy()
      // Let the projector catch up before stopping.
      await new Promise((res) => setTimeout(res, 500))
      expect(await srv.kill('SIGTERM')).toBe(0)

      const log = SqliteEventLog.open(dir)
      const inLog = new Set((await log.readRoom('durable', START, { limit: 10_000_000 })).map((e) => Buffer.from(e.update).toString('hex')))
      await log.close()
      const missingInLog = acked.filter((a) => !inLog.has(Buffer.from(a.update).toString('hex')))

      const db = openDatabase(path.join(dir, 'projection.sqlite'), { readonly: true })
      const rows = new Set(
        (db.prepare("SELECT object_id, loc_x, loc_y, loc_z FROM object_history WHERE room = 'durable'").all() as Array<{ object_id: string; loc_x: number; loc_y: number; loc_z: number }>).map(
          (h) => `${h.object_id}@${h.loc_x},${h.loc_y},${h.loc_z}`,
        ),
      )
      db.close()
      // Creation carries location (round, i, 0); each move (round, i, n).
      const missingInProjection = acked.filter((a) => !rows.has(`${a.object}@${a.location.join(',')}`))
      process.stdout.write(`[durability] ${ROUNDS} rounds, ${sentTotal} updates sent, ${acked.length} acknowledged\n`)
      expect(missingInLog).toEqual([])
      expect(missingInProjection.map((a) => `${a.object}@${a.location}`)).toEqual([])
      expect(missingInClient).toEqual([])
    } finally {
      rmTmp(dir)
    }
  }, 240_000)
})
