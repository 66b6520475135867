/**
 * A WebSocket client speaking the y-websocket protocol by hand, for tests that
 * must see exactly what the server sends (echoes, close codes) or send what a
 * stock provider never would (garbage, floods).
 */
import WebSocket from 'ws'
import * as decoding from 'lib0/decoding'
import { awarenessMessage, syncStep1, updateMessage } from '../../src/server/wire.js'

export interface Received {
  type: number
  sub?: number
  payload?: Uint8Array
}

export class RawClient {
  readonly received: Received[] = []
  readonly updates: Uint8Array[] = []
  closed: { code: number; reason: string } | null = null
  opened = false

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer'
    ws.on('open', () => (this.opened = true))
    ws.on('message', (data: Buffer) => {
      const d = decoding.createDecoder(new Uint8Array(data))
      const type = decoding.readVarUint(d)
      if (type === 0) {
        const sub = decoding.readVarUint(d)
        const payload = decoding.readVarUint8Array(d)
        this.received.push({ type, sub, payload })
        if (sub === 2 || sub === 1) this.updates.push(payload)
      } else this.received.push({ type })
    })
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }))
    ws.on('error', () => {})
  }

  static connect(url: string): Promise<RawClient> {
    const c = new RawClient(new WebSocket(url))
    return new Promise((resolve, reject) => {
      c.ws.once('open', () => resolve(c))
      c.ws.once('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (b: Buffer) => (body += b.toString()))
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })))
      })
      c.ws.once('error', reject)
    })
  }

  send(frame: Uint8Array): void {
    this.ws.send(frame)
  }

  sendUpdate(u: Uint8Array): void {
    this.send(updateMessage(u))
  }

  sendStep1(sv: Uint8Array): void {
    this.send(syncStep1(sv))
  }

  sendAwareness(u: Uint8Array): void {
    this.send(awarenessMessage(u))
  }

  /** Has the server echoed these exact bytes back (its acknowledgement)? */
  echoed(u: Uint8Array): boolean {
    return this.updates.some((x) => x.length === u.length && Buffer.compare(Buffer.from(x), Buffer.from(u)) === 0)
  }

  async closedWith(ms = 5000): Promise<{ code: number; reason: string }> {
    const end = Date.now() + ms
    while (!this.closed) {
      if (Date.now() > end) throw new Error('connection was not closed')
      await new Promise((r) => setTimeout(r, 5))
    }
    return this.closed
  }

  close(): void {
    this.ws.close()
  }
}
