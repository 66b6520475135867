/**
 * A TCP proxy between a client and the scenesync server that counts what
 * crosses the wire, per direction: bytes, and WebSocket frames by kind (ping,
 * pong, and binary y-websocket messages by type: sync, awareness, ...). Used to
 * show what an idle session costs, and that previewing history sends nothing.
 * Plain HTTP requests through it (the history API shares the port) count as
 * bytes, never as frames.
 */
import net from 'node:net'

const Y_TYPES = ['sync', 'awareness', 'auth', 'queryAwareness'] as const

export interface WireCount {
  bytes: number
  frames: Record<string, number>
}

function emptyCount(): WireCount {
  return { bytes: 0, frames: {} }
}

/** Parses frames out of one direction of a WebSocket stream (after the HTTP upgrade). */
class FrameCounter {
  private buf = Buffer.alloc(0)
  private upgraded = false
  /** A plain HTTP exchange (the history API on the same port): bytes only, no frames. */
  private plain = false
  count = emptyCount()

  feed(chunk: Buffer): void {
    this.count.bytes += chunk.length
    if (this.plain) return
    this.buf = Buffer.concat([this.buf, chunk])
    if (!this.upgraded) {
      const end = this.buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = this.buf.subarray(0, end).toString('latin1')
      if (!/^upgrade:\s*websocket/im.test(head)) {
        this.plain = true
        this.buf = Buffer.alloc(0)
        return
      }
      this.buf = this.buf.subarray(end + 4)
      this.upgraded = true
    }
    for (;;) {
      if (this.buf.length < 2) return
      const b0 = this.buf[0]!
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
      const opcode = b0 & 0x0f
      let kind: string
      if (opcode === 0x9) kind = 'ping'
      else if (opcode === 0xa) kind = 'pong'
      else if (opcode === 0x8) kind = 'close'
      else if (opcode === 0x2 && len > 0) {
        const first = masked ? this.buf[start]! ^ this.buf[off]! : this.buf[start]!
        kind = Y_TYPES[first] ?? `type${first}`
      } else kind = `opcode${opcode}`
      this.count.frames[kind] = (this.count.frames[kind] ?? 0) + 1
      this.buf = this.buf.subarray(start + len)
    }
  }

  reset(): void {
    this.count = emptyCount()
  }
}

export interface WireTap {
  port: number
  /** Client → server and server → client, since the last reset. */
  counts(): { up: WireCount; down: WireCount }
  reset(): void
  close(): Promise<void>
}

export async function startWireTap(targetPort: number): Promise<WireTap> {
  const pairs: Array<{ up: FrameCounter; down: FrameCounter }> = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    const pair = { up: new FrameCounter(), down: new FrameCounter() }
    pairs.push(pair)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    client.on('data', (d: Buffer) => {
      pair.up.feed(d)
      upstream.write(d)
    })
    upstream.on('data', (d: Buffer) => {
      pair.down.feed(d)
      client.write(d)
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const sum = (dir: 'up' | 'down'): WireCount => {
    const out = emptyCount()
    for (const p of pairs) {
      out.bytes += p[dir].count.bytes
      for (const [k, v] of Object.entries(p[dir].count.frames)) out.frames[k] = (out.frames[k] ?? 0) + v
    }
    return out
  }
  return {
    port: (server.address() as net.AddressInfo).port,
    counts: () => ({ up: sum('up'), down: sum('down') }),
    reset: () => pairs.forEach((p) => (p.up.reset(), p.down.reset())),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}
