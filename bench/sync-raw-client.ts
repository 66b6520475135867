/**
 * A minimal y-websocket protocol client for load generation: it sends sync
 * "update" messages (one per frame, as the stock provider does for a local
 * edit) and, of what it receives, decodes only the first struct's
 * (client, clock) of update frames: its own updates coming back are
 * acknowledgements, the others are deliveries. It never applies anything to
 * a Y.Doc, so 16 of them cost the bench process little.
 */
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'

export function updateFrame(u: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // sync
  encoding.writeVarUint(e, 2) // update
  encoding.writeVarUint8Array(e, u)
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

export class RawClient {
  readonly ws: WebSocket
  readonly open: Promise<void>
  sent = 0
  acked = 0
  delivered = 0
  readonly clocks: number[] = []
  readonly sendTimes: number[] = []
  readonly ackTimes: number[] = []
  closed: string | null = null

  constructor(
    url: string,
    readonly clientId: number,
  ) {
    this.ws = new WebSocket(url, { perMessageDeflate: false })
    this.open = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.ws.on('close', (code, reason) => (this.closed = `${code} ${reason.toString()}`))
    this.ws.on('error', () => {})
    this.ws.on('message', (data: Buffer) => this.receive(data))
  }

  private receive(d: Buffer): void {
    // Only sync step 2 / update messages carry content.
    if (d.length < 4 || d[0] !== 0 || (d[1] !== 2 && d[1] !== 1)) return
    let pos = 2
    const v = () => {
      let n = 0
      let m = 1
      for (;;) {
        if (pos >= d.length) return -1
        const b = d[pos++]!
        n += (b & 0x7f) * m
        if (b < 0x80) return n
        m *= 128
      }
    }
    v() // payload length
    if (v() <= 0) return // no struct groups
    v() // structs in the first group
    const client = v()
    const clock = v()
    if (client !== this.clientId) {
      this.delivered++
      return
    }
    const t = performance.now()
    while (this.acked < this.sent && this.clocks[this.acked]! <= clock) {
      this.ackTimes[this.acked] = t
      this.acked++
    }
  }

  /** Sends one update frame; `clock` is its first struct's clock (to match the echo). */
  send(frame: Uint8Array, clock: number): void {
    this.clocks[this.sent] = clock
    this.sendTimes[this.sent] = performance.now()
    this.sent++
    this.ws.send(frame)
  }

  close(): void {
    this.ws.close()
  }
}
