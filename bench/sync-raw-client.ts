/**
 * A minimal protocol client for load generation. It sends sync "update"
 * messages (one per frame, as a stock provider does for a local edit) and, of
 * what it receives, reads only which (client, clock) ranges arrived. It never
 * applies anything to a Y.Doc, so 16 of them cost the bench process little.
 *
 * Two wire protocols:
 *  - `y-websocket` (ours, @y/websocket-server): `varUint type • payload`, the
 *    room in the URL path;
 *  - `hocuspocus`: every message prefixed with `varString(documentName)`, an
 *    Auth (token) message first, and extra types (SyncStatus = 8, ...).
 *
 * Acknowledgement = what the server's own client treats as "saved":
 *  - `echo`: the sender's update coming back (ours broadcasts it only after the
 *    fsynced append; @y/websocket-server before anything is written; the
 *    y-websocket v4 client's sync status counts echoed ids);
 *  - `sync-status`: Hocuspocus answers each applied update message with
 *    SyncStatus(true) (what its provider counts down `unsyncedChanges` with),
 *    sent once the update is in the server's memory.
 *
 * Deliveries: `seen(client)` is the exclusive end of the clock range of
 * `client` this connection has received (from single updates, or from merged
 * ones: Hocuspocus merges what arrives in one event-loop turn).
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import * as Y from 'yjs'

export type Protocol = 'y-websocket' | 'hocuspocus'

const HP_SYNC = 0
const HP_AUTH = 2
const HP_SYNC_STATUS = 8
const HP_AUTH_TOKEN = 0
const HP_AUTH_DENIED = 1
const HP_AUTH_OK = 2

/** A y-websocket sync "update" frame. */
export function updateFrame(u: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // sync
  encoding.writeVarUint(e, 2) // update
  encoding.writeVarUint8Array(e, u)
  return encoding.toUint8Array(e)
}

/** A Hocuspocus sync "update" frame for `doc`. */
export function hocuspocusUpdateFrame(doc: string, u: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, doc)
  encoding.writeVarUint(e, HP_SYNC)
  encoding.writeVarUint(e, 2)
  encoding.writeVarUint8Array(e, u)
  return encoding.toUint8Array(e)
}

function hocuspocusAuthFrame(doc: string): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, doc)
  encoding.writeVarUint(e, HP_AUTH)
  encoding.writeVarUint(e, HP_AUTH_TOKEN)
  encoding.writeVarString(e, '')
  encoding.writeVarString(e, '4.8.0')
  return encoding.toUint8Array(e)
}

/** The clock of the first struct of a Yjs v1 update made by one local transaction. */
export function firstClock(u: Uint8Array): number {
  let pos = 0
  const v = () => {
    let n = 0
    let m = 1
    for (;;) {
      const b = u[pos++]!
      n += (b & 0x7f) * m
      if (b < 0x80) return n
      m *= 128
    }
  }
  v() // struct groups
  v() // structs in the first group
  v() // client
  return v()
}

export interface RawClientOptions {
  protocol: Protocol
  /** Base URL, e.g. ws://127.0.0.1:1234 */
  url: string
  room: string
  clientId: number
}

export class RawClient {
  readonly ws: WebSocket
  /** Resolves once the connection can send (for Hocuspocus: once authenticated). */
  readonly open: Promise<void>
  sent = 0
  acked = 0
  readonly clocks: number[] = []
  readonly sendTimes: number[] = []
  readonly ackTimes: number[] = []
  closed: string | null = null
  /** Exclusive end of each client's clock range received so far. */
  private readonly seenTo = new Map<number, number>()
  private readonly protocol: Protocol
  private readonly room: string
  readonly clientId: number

  constructor(o: RawClientOptions) {
    this.protocol = o.protocol
    this.room = o.room
    this.clientId = o.clientId
    const url = o.protocol === 'hocuspocus' ? o.url : `${o.url}/${o.room}`
    this.ws = new WebSocket(url, { perMessageDeflate: false })
    this.ws.binaryType = 'nodebuffer'
    this.open = new Promise((resolve, reject) => {
      this.ws.once('error', reject)
      this.ws.once('open', () => {
        if (this.protocol === 'y-websocket') return resolve()
        this.authed = resolve
        this.ws.send(hocuspocusAuthFrame(this.room))
      })
    })
    this.ws.on('close', (code, reason) => (this.closed = `${code} ${reason.toString()}`))
    this.ws.on('error', () => {})
    this.ws.on('message', (data: Buffer) => this.receive(data))
  }

  private authed: (() => void) | null = null

  /** Exclusive end of `client`'s clocks received. */
  seen(client: number): number {
    return this.seenTo.get(client) ?? 0
  }

  private receive(d: Buffer): void {
    if (this.protocol === 'y-websocket') {
      // Only sync step 2 / update messages carry content.
      if (d.length < 4 || d[0] !== 0 || (d[1] !== 2 && d[1] !== 1)) return
      this.content(d.subarray(2))
      return
    }
    const dec = decoding.createDecoder(d)
    decoding.readVarString(dec)
    const type = decoding.readVarUint(dec)
    if (type === HP_SYNC) {
      const sub = decoding.readVarUint(dec)
      if (sub === 1 || sub === 2) this.content(d.subarray(dec.pos))
    } else if (type === HP_SYNC_STATUS) {
      if (decoding.readVarUint(dec) === 1 && this.acked < this.sent) this.ackTimes[this.acked++] = performance.now()
    } else if (type === HP_AUTH) {
      const sub = decoding.readVarUint(dec)
      if (sub === HP_AUTH_OK) {
        this.authed?.()
        this.authed = null
      } else if (sub === HP_AUTH_DENIED) this.ws.close()
    }
  }

  /** `p` = varUint8Array(update). */
  private content(p: Uint8Array): void {
    let pos = 0
    const v = () => {
      let n = 0
      let m = 1
      for (;;) {
        if (pos >= p.length) return -1
        const b = p[pos++]!
        n += (b & 0x7f) * m
        if (b < 0x80) return n
        m *= 128
      }
    }
    const len = v()
    const start = pos
    const groups = v()
    if (groups <= 0) return
    if (groups === 1 && this.protocol === 'y-websocket') {
      // One editor's update (the common case): its first struct is enough.
      v() // structs in the group
      const client = v()
      const clock = v()
      this.note(client, clock + 1, clock)
      return
    }
    const meta = Y.parseUpdateMeta(p.subarray(start, start + len))
    meta.to.forEach((to, client) => this.note(client, to, to - 1))
  }

  private note(client: number, to: number, lastClock: number): void {
    if (to > (this.seenTo.get(client) ?? 0)) this.seenTo.set(client, to)
    if (client !== this.clientId || this.protocol === 'hocuspocus') return
    const t = performance.now()
    while (this.acked < this.sent && this.clocks[this.acked]! <= lastClock) {
      this.ackTimes[this.acked] = t
      this.acked++
    }
  }

  /** Sends one update; `clock` is its first struct's clock (to match the echo). */
  send(update: Uint8Array, clock: number): void {
    this.clocks[this.sent] = clock
    this.sendTimes[this.sent] = performance.now()
    this.sent++
    this.ws.send(this.protocol === 'hocuspocus' ? hocuspocusUpdateFrame(this.room, update) : updateFrame(update))
  }

  close(): void {
    this.ws.close()
  }
}

/** How many of `clocks` (ascending first clocks of one sender's updates) are below `to`. */
export function countBelow(clocks: readonly number[], to: number): number {
  let lo = 0
  let hi = clocks.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (clocks[mid]! < to) lo = mid + 1
    else hi = mid
  }
  return lo
}
