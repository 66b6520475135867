/**
 * The y-websocket wire protocol (y-protocols PROTOCOL.md): each message is
 * `varUint type • payload`; sync messages are `varUint subtype • varUint8Array`.
 * Decoding is bounds-checked (frames from ws can be views into a pooled buffer,
 * where lib0's decoder would read past the frame), and one frame may carry
 * several messages (y-websocket 4 sends them so); the server sends one per frame.
 */
import * as encoding from 'lib0/encoding'

export const MSG_SYNC = 0
export const MSG_AWARENESS = 1
export const MSG_AUTH = 2
export const MSG_QUERY_AWARENESS = 3
export const SYNC_STEP1 = 0
export const SYNC_STEP2 = 1
export const SYNC_UPDATE = 2

export type ClientMessage =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-step2'; update: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }
  | { type: 'auth' }

export class WireError extends Error {
  readonly code = 'malformed_message'
}

class Reader {
  pos = 0
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length
  }
  varUint(): number {
    let num = 0
    let mult = 1
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.buf.length) throw new WireError(`truncated message: integer runs past the end at byte ${this.pos}`)
      const b = this.buf[this.pos++]!
      num += (b & 0x7f) * mult
      if (b < 0x80) return num
      mult *= 128
    }
    throw new WireError('integer too large')
  }
  bytes(): Uint8Array {
    const n = this.varUint()
    if (n > this.buf.length - this.pos) throw new WireError(`truncated message: ${n} bytes announced, ${this.buf.length - this.pos} present`)
    // A copy: the frame's buffer may be reused by ws after this call.
    const out = this.buf.slice(this.pos, this.pos + n)
    this.pos += n
    return out
  }
  rest(): void {
    this.pos = this.buf.length
  }
}

export function decodeFrame(frame: Uint8Array): ClientMessage[] {
  const r = new Reader(frame)
  if (r.done) throw new WireError('empty frame')
  const out: ClientMessage[] = []
  while (!r.done) {
    const type = r.varUint()
    switch (type) {
      case MSG_SYNC: {
        const sub = r.varUint()
        const payload = r.bytes()
        if (sub === SYNC_STEP1) out.push({ type: 'sync-step1', stateVector: payload })
        else if (sub === SYNC_STEP2) out.push({ type: 'sync-step2', update: payload })
        else if (sub === SYNC_UPDATE) out.push({ type: 'update', update: payload })
        else throw new WireError(`unknown sync message type ${sub}`)
        break
      }
      case MSG_AWARENESS:
        out.push({ type: 'awareness', update: r.bytes() })
        break
      case MSG_QUERY_AWARENESS:
        out.push({ type: 'query-awareness' })
        break
      case MSG_AUTH:
        // Clients do not authenticate in-band (the token is in the URL); ignore the rest.
        r.rest()
        out.push({ type: 'auth' })
        break
      default:
        throw new WireError(`unknown message type ${type}`)
    }
  }
  return out
}

function frame(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  write(e)
  return encoding.toUint8Array(e)
}

function syncMessage(sub: number, payload: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MSG_SYNC)
    encoding.writeVarUint(e, sub)
    encoding.writeVarUint8Array(e, payload)
  })
}

export const syncStep1 = (stateVector: Uint8Array): Uint8Array => syncMessage(SYNC_STEP1, stateVector)
export const syncStep2 = (update: Uint8Array): Uint8Array => syncMessage(SYNC_STEP2, update)
export const updateMessage = (update: Uint8Array): Uint8Array => syncMessage(SYNC_UPDATE, update)

export function awarenessMessage(update: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MSG_AWARENESS)
    encoding.writeVarUint8Array(e, update)
  })
}

/** y-protocols auth: permission denied, with a reason the client logs. */
export function permissionDenied(reason: string): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MSG_AUTH)
    encoding.writeVarUint(e, 0)
    encoding.writeVarString(e, reason)
  })
}

/** An awareness update with no states: harmless traffic that keeps a v3 client from timing out. */
export const KEEPALIVE = awarenessMessage(new Uint8Array([0]))
