/**
 * A TCP proxy between one client and the server that records the WebSocket
 * frames the client sends (unmasked), so a test can say what went over the
 * wire: how many bytes, and which y-websocket updates with what in them.
 */
import net from 'node:net'
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'

export interface SentFrame {
  opcode: number
  payload: Buffer
}

export interface FrameTap {
  port: number
  /** Client → server frames since the last reset. */
  frames: SentFrame[]
  /** Client → server bytes on the socket since the last reset (frame headers included). */
  bytes(): number
  reset(): void
  close(): Promise<void>
}

class Parser {
  private buf: Buffer = Buffer.alloc(0)
  private upgraded = false
  constructor(private readonly out: (f: SentFrame) => void) {}

  feed(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
    if (!this.upgraded) {
      const end = this.buf.indexOf('\r\n\r\n')
      if (end < 0) return
      this.buf = this.buf.subarray(end + 4)
      this.upgraded = true
    }
    for (;;) {
      if (this.buf.length < 2) return
      const b1 = this.buf[1]!
      let len = b1 & 0x7f
      let off = 2
      if (len === 126) {
        if (this.buf.length < 4) return
        len = this.buf.readUInt16BE(2)
        off = 4
      } else if (len === 127) {
        if (this.buf.length < 10) return
        len = Number(this.buf.readBigUInt64BE(2))
        off = 10
      }
      const masked = (b1 & 0x80) !== 0
      const start = off + (masked ? 4 : 0)
      if (this.buf.length < start + len) return
      const payload = Buffer.from(this.buf.subarray(start, start + len))
      if (masked) for (let i = 0; i < len; i++) payload[i]! ^= this.buf[off + (i & 3)]!
      this.out({ opcode: this.buf[0]! & 0x0f, payload })
      this.buf = this.buf.subarray(start + len)
    }
  }
}

export async function startFrameTap(targetPort: number): Promise<FrameTap> {
  const sockets = new Set<net.Socket>()
  const tap = { frames: [] as SentFrame[], bytes: 0 }
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    const parser = new Parser((f) => tap.frames.push(f))
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    client.on('data', (d: Buffer) => {
      tap.bytes += d.length
      parser.feed(d)
      upstream.write(d)
    })
    upstream.on('data', (d: Buffer) => client.write(d))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    get frames() {
      return tap.frames
    },
    bytes: () => tap.bytes,
    reset: () => {
      tap.frames = []
      tap.bytes = 0
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

/** The Yjs updates among y-websocket frames (sync step 2 and update messages). */
export function updatesIn(frames: SentFrame[]): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const f of frames) {
    if (f.opcode !== 2 || f.payload.length === 0) continue
    const d = decoding.createDecoder(new Uint8Array(f.payload))
    if (decoding.readVarUint(d) !== 0) continue
    const sub = decoding.readVarUint(d)
    if (sub === 1 || sub === 2) out.push(decoding.readVarUint8Array(d))
  }
  return out
}

/** Bytes of binary content (geometry chunks) an update carries. */
export function binaryBytesIn(update: Uint8Array): number {
  let n = 0
  for (const s of Y.decodeUpdate(update).structs) {
    if (s instanceof Y.Item && s.content instanceof Y.ContentBinary) n += s.content.content.length
  }
  return n
}
