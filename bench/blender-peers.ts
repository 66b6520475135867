/**
 * Simulated people for bench/blender-scale.ts, in a worker thread: each is a
 * stock y-websocket provider with its own Y.Doc. Every peer applies every other
 * peer's update (that is what a Yjs client does), about 0.2 ms each on this
 * machine, so 16 of them in one thread cannot keep up with 1,000 updates a
 * second; spread over workers they use every core, as 16 machines would.
 *
 * Messages in: `{ join: { url, room, peers } }`, then
 * `{ drive: { seconds, rate, targets, bones?, seed } }` (write `rate` updates a
 * second, this worker's share, each one transaction of one location), then
 * `{ close: true }`. Out: `{ ready }`, `{ driven: { sent, lagMs } }`, `{ clients }`.
 */
import { parentPort } from 'node:worker_threads'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { SceneDoc, type Xform } from '../src/crdt/index.js'
import { rng } from './stats.js'

interface Join { url: string; room: string; peers: number }
interface Drive { seconds: number; rate: number; targets: string[]; bones?: string[]; seed: number }

const port = parentPort!
const peers: Array<{ doc: Y.Doc; scene: SceneDoc; provider: WebsocketProvider }> = []

function join(url: string, room: string) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
  return new Promise<void>((resolve) => provider.once('sync', () => {
    peers.push({ doc, scene: new SceneDoc(doc), provider })
    resolve()
  }))
}

async function drive(d: Drive) {
  const r = rng(d.seed)
  const coord = () => Math.round((r() * 20 - 10) * 1000) / 1000
  const t0 = performance.now()
  let sent = 0
  let lagMs = 0
  while (performance.now() - t0 < d.seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * d.rate)
    lagMs = Math.max(lagMs, ((due - sent) / d.rate) * 1000)
    for (; sent < due; sent++) {
      const p = peers[sent % peers.length]!
      const target = d.targets[Math.floor(r() * d.targets.length)]!
      const location: [number, number, number] = [coord(), coord(), coord()]
      if (d.bones) {
        const x: Xform = { mode: 'QUATERNION', location, rotation: [1, 0, 0, 0], scale: [1, 1, 1] }
        p.scene.writeXformChannels(target, x, { channels: ['location'], time: Date.now() }, d.bones[Math.floor(r() * d.bones.length)]!)
      } else {
        const x: Xform = { mode: 'XYZ', location, rotation: [0, 0, 0], scale: [1, 1, 1] }
        p.scene.writeXformChannels(target, x, { channels: ['location'], time: Date.now() })
      }
    }
    await new Promise((res) => setTimeout(res, 4))
  }
  // What each peer wrote, as a state vector entry: the watcher waits for all of it.
  const clients = peers.map((p) => [p.doc.clientID, Y.getState(p.doc.store, p.doc.clientID)])
  port.postMessage({ driven: { sent, seconds: (performance.now() - t0) / 1000, lagMs, clients } })
}

port.on('message', (m: { join?: Join; drive?: Drive; close?: boolean }) => {
  if (m.join) {
    const j = m.join
    void Promise.all(Array.from({ length: j.peers }, () => join(j.url, j.room))).then(() => port.postMessage({ ready: true }))
  } else if (m.drive) {
    void drive(m.drive)
  } else if (m.close) {
    for (const p of peers) p.provider.destroy()
    // In a worker, exit ends this thread only; an open socket must not keep it (and the bench) alive.
    setTimeout(() => process.exit(0), 200)
  }
})
