/**
 * A room in memory for the per-channel merge tests: replicas that behave like
 * agents (they stamp their edits on a skewed clock and merge concurrent
 * transform writes they notice, src/crdt/xform-resolve.ts), a relay that
 * behaves like the server, and FIFO links between them that can be cut
 * (offline) and restored (a reconnect syncs state both ways, as y-websocket
 * does).
 */
import * as Y from 'yjs'
import { SceneDoc, type StampedXform, type Xform, type XformChannel, resolveConcurrentXforms } from '../../src/crdt/index.js'

const REMOTE = Symbol('remote')
const LOCAL = Symbol('local')

export interface Replica {
  scene: SceneDoc
  online: boolean
  /** ms added to the room's clock: this replica's clock error. */
  skew: number
  /** Updates on their way to the relay / from the relay. */
  up: Uint8Array[]
  down: Uint8Array[]
  merges: number
}

export class XformNet {
  readonly relay = new Y.Doc()
  readonly replicas: Replica[] = []
  now = 1_700_000_000_000

  constructor(n: number, skews: number[] = []) {
    for (let i = 0; i < n; i++) {
      const doc = new Y.Doc()
      doc.clientID = 100 + i
      const r: Replica = { scene: new SceneDoc(doc), online: true, skew: skews[i] ?? 0, up: [], down: [], merges: 0 }
      doc.on('update', (u: Uint8Array, origin: unknown) => {
        if (origin !== REMOTE && r.online) r.up.push(u)
      })
      doc.on('afterTransaction', (tr: Y.Transaction) => {
        if (tr.origin === REMOTE) r.merges += resolveConcurrentXforms(r.scene, tr, LOCAL).length
      })
      this.replicas.push(r)
    }
  }

  /** A live edit of some channels in replica `i`, stamped by its (skewed) clock. */
  edit(i: number, id: string, xform: Xform, channels: readonly XformChannel[]): void {
    const r = this.replicas[i]!
    r.scene.transact(() => r.scene.writeXformChannels(id, xform, { channels, time: this.now + r.skew }), LOCAL)
  }

  create(i: number, id: string, xform: Xform): void {
    const r = this.replicas[i]!
    r.scene.transact(() => {
      r.scene.upsertObject(id, { name: id, type: 'EMPTY' })
      r.scene.writeXformChannels(id, xform, { time: this.now + r.skew })
    }, LOCAL)
  }

  setOnline(i: number, online: boolean): void {
    const r = this.replicas[i]!
    if (r.online === online) return
    r.online = online
    r.up = []
    r.down = []
    if (!online) return
    // Reconnect: what each side lacks, both ways (sync step 1 and 2).
    const toRelay = Y.encodeStateAsUpdate(r.scene.doc, Y.encodeStateVector(this.relay))
    const toReplica = Y.encodeStateAsUpdate(this.relay, Y.encodeStateVector(r.scene.doc))
    r.down.push(toReplica)
    r.up.push(toRelay)
  }

  /** Delivers one queued message: `pick` chooses the link; false when none is queued. */
  deliverOne(pick: number): boolean {
    const links: Array<() => void> = []
    this.replicas.forEach((r) => {
      if (r.up.length) links.push(() => this.toRelay(r.up.shift()!))
      if (r.down.length) links.push(() => Y.applyUpdate(r.scene.doc, r.down.shift()!, REMOTE))
    })
    if (!links.length) return false
    links[pick % links.length]!()
    return true
  }

  /** Delivers everything, online replicas only, until nothing moves; returns the messages delivered. */
  settle(limit = 100_000): number {
    let n = 0
    while (this.deliverOne(n)) if (++n > limit) throw new Error(`the room did not settle after ${limit} messages: merges do not terminate`)
    return n
  }

  private toRelay(u: Uint8Array): void {
    Y.applyUpdate(this.relay, u)
    // The server broadcasts every update, to its sender too (the acknowledgement).
    for (const r of this.replicas) if (r.online) r.down.push(u)
  }

  value(i: number, id: string): StampedXform | undefined {
    return this.replicas[i]!.scene.readStampedXform(id)
  }
}
