/**
 * What a server promises on a crash, measured the way `bench durability`
 * measures ours (`[L1]` `[S1]`): each round starts the server on the same data
 * folder, three raw protocol clients each send an edit every millisecond or
 * two, and once the first is acknowledged the server is killed with SIGKILL
 * at a random moment 30–400 ms later. After the last round the server is
 * started once more, a stock client resyncs, and every update the server had
 * acknowledged (sync-raw-client.ts: each server's own acknowledgement) is
 * looked for in the resynced doc. `acked_then_lost` counts those missing.
 *
 * @y/websocket-server may serve a first sync before it has read its
 * persistence (y-websocket-server#7), so the check waits `settleMs` after the
 * stock client says it is synced and takes what arrived by then.
 */
import * as Y from 'yjs'
import { IDENTITY_XFORM, SceneDoc } from '../src/crdt/index.js'
import { RawClient, firstClock } from './sync-raw-client.js'
import { type ServerKind, startServer } from './sync-servers.js'
import { stockClient } from './sync-stock-client.js'
import { rng } from './stats.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

export interface CrashOptions {
  rounds: number
  clients: number
  seed: number
  settleMs: number
  updatesPerSecond?: number
  say: (msg: string) => void
}

export interface CrashResult {
  rounds: number
  sent: number
  acked: number
  acked_then_lost: number
  /** Acknowledged-then-lost per round. */
  lost_by_round: number[]
  /** Acknowledged updates sent per round. */
  acked_by_round: number[]
}

export async function runCrashRounds(kind: ServerKind, dataDir: string, o: CrashOptions): Promise<CrashResult> {
  const random = rng(o.seed)
  const room = 'durable'
  const acked: Array<{ round: number; update: Uint8Array }> = []
  const ackedByRound: number[] = []
  let sent = 0
  for (let r = 0; r < o.rounds; r++) {
    const srv = await startServer(kind, dataDir, { ...(o.updatesPerSecond ? { updatesPerSecond: o.updatesPerSecond } : {}) })
    const writers: Array<() => void> = []
    const thisRound: Array<{ c: RawClient; k: number; update: Uint8Array }> = []
    const conns: RawClient[] = []
    try {
      for (let i = 0; i < o.clients; i++) {
        const scene = new SceneDoc()
        const c = new RawClient({ protocol: srv.protocol, url: srv.url, room, clientId: scene.doc.clientID })
        conns.push(c)
        await c.open
        const object = `r${r}-c${i}`
        let n = 0
        scene.doc.on('update', (update: Uint8Array) => {
          thisRound.push({ c, k: c.sent, update })
          c.send(update, firstClock(update))
        })
        scene.upsertObject(object, { name: object, type: 'EMPTY', xform: { ...IDENTITY_XFORM, location: [r, i, 0] } })
        writers.push(() => scene.setXform(object, { ...IDENTITY_XFORM, location: [r, i, ++n] }))
      }
      const load = setInterval(() => writers.forEach((w) => w()), 1)
      try {
        await until(() => conns.some((c) => c.acked > 0), 30_000, `${kind}: a first acknowledgement`)
        await sleep(30 + Math.floor(random() * 370))
        await srv.kill('SIGKILL')
      } finally {
        clearInterval(load)
      }
    } finally {
      await srv.kill('SIGKILL')
      for (const c of conns) c.close()
    }
    sent += thisRound.length
    let n = 0
    for (const s of thisRound) if (s.k < s.c.acked) (acked.push({ round: r, update: s.update }), n++)
    ackedByRound.push(n)
    o.say(`${kind}: crash round ${r + 1}/${o.rounds}: ${thisRound.length} sent, ${n} acknowledged`)
  }

  const srv = await startServer(kind, dataDir, { ...(o.updatesPerSecond ? { updatesPerSecond: o.updatesPerSecond } : {}) })
  const doc = new Y.Doc()
  const client = stockClient(srv.protocol, srv.url, room, doc)
  try {
    await until(() => client.synced, 60_000, `${kind}: the resync after the last crash`)
    await sleep(o.settleMs)
  } finally {
    client.destroy()
    await srv.stop()
  }
  const sv = Y.encodeStateVector(doc)
  const lostByRound = ackedByRound.map(() => 0)
  let lost = 0
  for (const a of acked) {
    if (Y.decodeUpdate(Y.diffUpdate(a.update, sv)).structs.length === 0) continue
    lost++
    lostByRound[a.round]!++
  }
  doc.destroy()
  return { rounds: o.rounds, sent, acked: acked.length, acked_then_lost: lost, lost_by_round: lostByRound, acked_by_round: ackedByRound }
}
