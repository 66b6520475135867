import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { SceneDoc } from '../../src/crdt/index.js'
import { START } from '../../src/log/event-log.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { SyncServer } from '../../src/server/sync-server.js'
import { applyOp, canonical } from '../helpers/scene-ops.js'
import { waitFor } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'
import fc from 'fast-check'
import { seedFor } from '../helpers/prop.js'
import { opArb } from '../helpers/scene-ops.js'

describe('several servers per room', () => {
  it('[C1] two servers sharing one log, clients split between them, converge; each server fans out what the other appended', async () => {
    const dir = tmpDir()
    const log = SqliteEventLog.open(dir)
    const servers = [new SyncServer({ log, port: 0, tailForeign: true }), new SyncServer({ log, port: 0, tailForeign: true })]
    const ports = await Promise.all(servers.map(async (s) => (await s.listen()).port))
    const clients = Array.from({ length: 6 }, (_, i) => {
      const doc = new Y.Doc()
      const p = new WebsocketProvider(`ws://127.0.0.1:${ports[i % 2]}`, 'shared', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
      return { doc, scene: new SceneDoc(doc), p }
    })
    try {
      await waitFor(() => clients.every((c) => c.p.synced))
      const ops = fc.sample(fc.tuple(fc.nat(5), opArb), { seed: seedFor('multi-server edits'), numRuns: 150 })
      for (const [c, op] of ops) applyOp(clients[c]!.scene, op)
      const contents = () => clients.map((c) => canonical(c.scene.readAll()))
      await waitFor(() => new Set(contents()).size === 1, 15_000, 'convergence across servers')
      // Each server's room doc holds the same content as the log.
      const fromLog = new Y.Doc()
      for (const e of await log.readRoom('shared', START, { limit: 100_000 })) Y.applyUpdate(fromLog, e.update)
      expect(canonical(new SceneDoc(fromLog).readAll())).toBe(contents()[0])
    } finally {
      for (const c of clients) c.p.destroy()
      for (const s of servers) await s.close()
      await log.close()
      rmTmp(dir)
    }
  })
})
