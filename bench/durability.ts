/**
 * `npm run bench -- durability`: the SIGKILL durability test (`[L1]` `[S1]`)
 * as a long run. Each round starts `scenesync serve` on the same data folder,
 * three raw protocol clients each send an update every millisecond or two,
 * and once the first is acknowledged the server is killed with SIGKILL at a
 * random moment 30–400 ms later. An
 * update counts as acknowledged when the server echoed it to its sender before
 * the kill. After the last round a server is started once more: a stock
 * provider resyncs, the server is stopped gracefully, and every acknowledged
 * update is looked for in the log, in the projection (the object's position
 * in its history) and in the resynced client's doc. `lost` counts the
 * acknowledged updates missing from any of the three; the target is 0.
 *
 * Environment: BENCH_ROUNDS (100), BENCH_SEED (1), BENCH_CLIENTS (3).
 */
import os from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { IDENTITY_XFORM, SceneDoc } from '../src/crdt/index.js'
import { START } from '../src/log/event-log.js'
import { SqliteEventLog } from '../src/log/sqlite-event-log.js'
import { openDatabase } from '../src/projection/sql.js'
import { RawClient } from '../test/helpers/raw-client.js'
import { waitFor } from '../test/helpers/server.js'
import { spawnServer } from '../test/helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../test/helpers/tmp.js'
import { rng, round } from './stats.js'

interface Sent {
  update: Uint8Array
  object: string
  location: [number, number, number]
}

const intEnv = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${process.env[name]}`)
  return v
}

export async function runDurability(): Promise<Record<string, unknown>> {
  const rounds = intEnv('BENCH_ROUNDS', 100)
  const clients = intEnv('BENCH_CLIENTS', 3)
  const random = rng(intEnv('BENCH_SEED', 1))
  const dir = tmpDir('scenesync-durability-')
  const started = performance.now()
  const acked: Sent[] = []
  let sent = 0
  try {
    for (let r = 0; r < rounds; r++) {
      const srv = await spawnServer(dir)
      const conns = await Promise.all(Array.from({ length: clients }, () => RawClient.connect(`${srv.url}/durable`)))
      const thisRound: Array<{ c: RawClient; s: Sent }> = []
      const writers = conns.map((c, i) => {
        const scene = new SceneDoc()
        const object = `r${r}-c${i}`
        let n = 0
        scene.doc.on('update', (update: Uint8Array) => {
          thisRound.push({ c, s: { update, object, location: [r, i, n] } })
          c.sendUpdate(update)
        })
        scene.upsertObject(object, { name: object, type: 'EMPTY', xform: { ...IDENTITY_XFORM, location: [r, i, 0] } })
        return () => scene.setXform(object, { ...IDENTITY_XFORM, location: [r, i, ++n] })
      })
      const load = setInterval(() => writers.forEach((w) => w()), 1)
      // The kill comes at a random moment once appends are being acknowledged.
      await waitFor(() => thisRound.some(({ c, s }) => c.echoed(s.update)), 30_000, 'a first acknowledgement')
      await new Promise((res) => setTimeout(res, 30 + Math.floor(random() * 370)))
      await srv.kill('SIGKILL')
      clearInterval(load)
      sent += thisRound.length
      let ackedNow = 0
      for (const { c, s } of thisRound) if (c.echoed(s.update)) (acked.push(s), ackedNow++)
      for (const c of conns) c.close()
      process.stderr.write(`[durability] round ${r + 1}/${rounds}: ${thisRound.length} sent, ${ackedNow} acknowledged\n`)
    }

    const srv = await spawnServer(dir)
    const doc = new Y.Doc()
    const p = new WebsocketProvider(srv.url, 'durable', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
    await waitFor(() => p.synced, 60_000, 'resync')
    const sv = Y.encodeStateVector(doc)
    const missingInClient = acked.filter((a) => Y.decodeUpdate(Y.diffUpdate(a.update, sv)).structs.length > 0)
    p.destroy()
    // A graceful stop lets the projector finish what it has.
    const code = await srv.kill('SIGTERM')
    if (code !== 0) throw new Error(`the last server exited with ${code}: ${srv.stderr()}`)

    const log = SqliteEventLog.open(dir)
    const inLog = new Set((await log.readRoom('durable', START, { limit: 100_000_000 })).map((e) => Buffer.from(e.update).toString('hex')))
    await log.close()
    const missingInLog = acked.filter((a) => !inLog.has(Buffer.from(a.update).toString('hex')))
    const db = openDatabase(path.join(dir, 'projection.sqlite'), { readonly: true })
    const rows = new Set(
      (db.prepare("SELECT object_id, loc_x, loc_y, loc_z FROM object_history WHERE room = 'durable'").all() as Array<{ object_id: string; loc_x: number; loc_y: number; loc_z: number }>).map(
        (h) => `${h.object_id}@${h.loc_x},${h.loc_y},${h.loc_z}`,
      ),
    )
    db.close()
    const missingInProjection = acked.filter((a) => !rows.has(`${a.object}@${a.location.join(',')}`))
    const lost = new Set([...missingInLog, ...missingInProjection, ...missingInClient]).size
    return {
      bench: 'durability',
      rounds,
      clients,
      sent,
      acked: acked.length,
      lost,
      lost_in_log: missingInLog.length,
      lost_in_projection: missingInProjection.length,
      lost_in_client: missingInClient.length,
      seconds: round((performance.now() - started) / 1000, 1),
      load_average: os.loadavg().map((l) => round(l, 2)),
    }
  } finally {
    rmTmp(dir)
  }
}
