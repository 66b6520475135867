/**
 * One client connection: decodes frames in order, enforces limits and roles,
 * and turns messages into room operations. Bad input closes only this
 * connection, with a close code and a reason that says what was wrong (`[S4]`).
 */
import type { WebSocket } from 'ws'
import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import { InvalidUpdateError, LogFullError } from '../log/errors.js'
import { firstClient } from '../log/update-format.js'
import type { Logger } from '../logger.js'
import { CLOSE } from './close-codes.js'
import type { Metrics } from './metrics.js'
import { REMOTE_ORIGIN, type Room, type RoomPeer } from './room.js'
import { TokenBucket } from './token-bucket.js'
import type { Role } from './tokens.js'
import { type ClientMessage, KEEPALIVE, WireError, awarenessMessage, decodeFrame, permissionDenied, syncStep1, syncStep2 } from './wire.js'

export interface Limits {
  /** Largest message accepted, bytes. */
  maxMessageBytes: number
  /**
   * Content and sync messages per second a connection may send (token bucket,
   * burst = 2 s worth): updates, sync step 2, and the sync step 1 and
   * query-awareness requests, each of which makes the server encode and send
   * the whole doc or presence.
   */
  updatesPerSecond: number
  /** Presence (awareness) messages per second a connection may send (burst = 2 s worth). */
  awarenessPerSecond: number
  /** Bytes of presence per second a connection may send (burst = 2 s worth). */
  awarenessBytesPerSecond: number
  /** Largest presence message, bytes. */
  maxAwarenessBytes: number
  /** Bytes received and not yet handled (as while the room loads) before the connection is closed. */
  maxQueuedBytes: number
  /** Connections a room admits, those still waiting for it to load included. */
  connectionsPerRoom: number
  /** Send a keepalive after this much outbound silence (the v3 client gives up after 30 s). */
  keepaliveMs: number
  /** Close a connection whose unsent output exceeds this (a client that stopped reading). */
  maxBufferedBytes: number
}

export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 16 << 20,
  updatesPerSecond: 2000,
  awarenessPerSecond: 300,
  awarenessBytesPerSecond: 1 << 20,
  maxAwarenessBytes: 1 << 20,
  maxQueuedBytes: 64 << 20,
  connectionsPerRoom: 256,
  keepaliveMs: 10_000,
  maxBufferedBytes: 64 << 20,
}

export interface ConnectionContext {
  room: Room
  role: Role
  user: string
  /** Token expiry (ms), if the connection has a token. */
  expiresAt: number | null
  limits: Limits
  metrics: Metrics
  logger: Logger
}

export class Connection implements RoomPeer {
  private queue: Promise<void>
  private closed = false
  /** Monotonic ms (performance.now): wall-clock steps must not silence keepalives. */
  private lastSent = performance.now()
  private readonly timer: NodeJS.Timeout
  private readonly messages: TokenBucket
  private readonly presence: TokenBucket
  private readonly presenceBytes: TokenBucket
  /** Bytes received and not yet handled. */
  private queued = 0
  private deniedSent = false
  private alive = true
  private corked = false
  /** Unsent bytes at the last tick: over the limit counts only if the client has not drained since. */
  private bufferedAtTick = 0
  /** Awareness client ids this connection has announced, removed when it leaves. */
  private readonly clientIds = new Set<number>()

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: ConnectionContext,
  ) {
    const { limits } = ctx
    this.messages = new TokenBucket(limits.updatesPerSecond)
    this.presence = new TokenBucket(limits.awarenessPerSecond)
    this.presenceBytes = new TokenBucket(limits.awarenessBytesPerSecond)
    ctx.metrics.connections++
    // Counted from now on, not from when the room is loaded: unload and the
    // room's connection limit must see connections that wait for the load.
    ctx.room.attach(this)
    ws.binaryType = 'nodebuffer'
    ws.on('pong', () => (this.alive = true))
    ws.on('close', () => this.cleanup())
    ws.on('error', (e) => ctx.logger.warn('websocket error', { room: ctx.room.name, error: e.message }))
    // `[S2]`: nothing is read or answered before the room is loaded.
    this.queue = ctx.room.ready.then(
      () => {
        if (this.closed) return
        ctx.room.peers.add(this)
        this.send(syncStep1(Y.encodeStateVector(ctx.room.doc)))
        const states = [...ctx.room.awareness.getStates().keys()]
        if (states.length > 0) this.send(awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(ctx.room.awareness, states)))
      },
      (e: unknown) => {
        ctx.logger.error('room failed to load', { room: ctx.room.name, error: (e as Error).message })
        this.close(CLOSE.INTERNAL, 'room failed to load; reconnect to retry')
      },
    )
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary))
    this.timer = setInterval(() => this.tick(), Math.max(250, Math.min(limits.keepaliveMs, 15_000)))
    this.timer.unref()
  }

  send(frame: Uint8Array): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return
    // Far past the limit even within one burst: drop it now rather than hold the memory.
    if (this.ws.bufferedAmount > 8 * this.ctx.limits.maxBufferedBytes) {
      this.close(CLOSE.MESSAGE_TOO_LARGE, `client is not reading: more than ${8 * this.ctx.limits.maxBufferedBytes} bytes unsent`)
      return
    }
    this.lastSent = performance.now()
    this.cork()
    this.ws.send(frame)
  }

  /**
   * A group commit broadcasts many updates in one stretch; corking the socket
   * until the loop turns sends them in one write instead of a syscall per
   * frame (still one protocol message per frame, as the v3 client needs).
   */
  private cork(): void {
    if (this.corked) return
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket
    if (!socket) return
    this.corked = true
    socket.cork()
    setImmediate(() => {
      this.corked = false
      socket.uncork()
    })
  }

  /**
   * Over the limit at this tick and the last, and not drained in between. A
   * burst (a mesh's chunks, a joiner's sync reply holding the room's geometry)
   * may exceed the limit for a moment while the client reads it.
   */
  private stalled(): boolean {
    const b = this.ws.bufferedAmount
    const limit = this.ctx.limits.maxBufferedBytes
    return b > limit && this.bufferedAtTick > limit && b >= this.bufferedAtTick
  }

  private tick(): void {
    if (this.closed) return
    if (this.stalled()) {
      this.close(CLOSE.MESSAGE_TOO_LARGE, `client is not reading: more than ${this.ctx.limits.maxBufferedBytes} bytes unsent`)
      return
    }
    this.bufferedAtTick = this.ws.bufferedAmount
    if (this.ctx.expiresAt !== null && Date.now() >= this.ctx.expiresAt) {
      this.close(CLOSE.TOKEN_EXPIRED, 'token expired')
      return
    }
    if (performance.now() - this.lastSent >= this.ctx.limits.keepaliveMs) this.send(KEEPALIVE)
    // Dead peers (no pong since the last ping) are dropped.
    if (!this.alive) {
      this.ws.terminate()
      return
    }
    this.alive = false
    this.ws.ping()
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.closed) return
    const { limits } = this.ctx
    if (!isBinary) return this.reject(CLOSE.MALFORMED, 'malformed', 'text frames are not y-websocket protocol')
    if (data.length > limits.maxMessageBytes) {
      return this.reject(CLOSE.MESSAGE_TOO_LARGE, 'too_large', `message of ${data.length} bytes exceeds the limit of ${limits.maxMessageBytes}`)
    }
    let messages: ClientMessage[]
    try {
      messages = decodeFrame(data)
    } catch (e) {
      if (e instanceof WireError) return this.reject(CLOSE.MALFORMED, 'malformed', e.message)
      throw e
    }
    // Limits are taken as frames arrive, not when they are handled: a client
    // cannot pile up work while its room loads, nor hide behind a slow append.
    for (const m of messages) if (!this.admit(m)) return
    this.queued += data.length
    if (this.queued > limits.maxQueuedBytes) {
      return this.reject(CLOSE.MESSAGE_TOO_LARGE, 'queue_full', `more than ${limits.maxQueuedBytes} bytes waiting to be handled; send less at once`)
    }
    this.queue = this.queue
      .then(() => this.handleAll(messages))
      .catch((e: unknown) => {
        this.ctx.logger.error('handling a message failed', { room: this.ctx.room.name, error: (e as Error).message })
        this.close(CLOSE.INTERNAL, 'the server failed to handle a message; reconnect to resync')
      })
      .finally(() => (this.queued -= data.length))
  }

  /** Checks one message against the rate and size limits; closes the connection and returns false when over. */
  private admit(m: ClientMessage): boolean {
    const { limits } = this.ctx
    switch (m.type) {
      case 'update':
      case 'sync-step2':
        if (this.messages.take()) return true
        this.reject(CLOSE.RATE_LIMITED, 'rate_limited', `more than ${limits.updatesPerSecond} updates per second`)
        return false
      case 'sync-step1':
      case 'query-awareness':
        if (this.messages.take()) return true
        this.reject(CLOSE.RATE_LIMITED, 'rate_limited', `more than ${limits.updatesPerSecond} messages per second (sync requests count as updates)`)
        return false
      case 'awareness':
        if (m.update.length > limits.maxAwarenessBytes) {
          this.reject(CLOSE.MESSAGE_TOO_LARGE, 'awareness_too_large', `presence update of ${m.update.length} bytes exceeds the limit of ${limits.maxAwarenessBytes}`)
          return false
        }
        if (!this.presence.take()) {
          this.reject(CLOSE.RATE_LIMITED, 'awareness_rate_limited', `presence: more than ${limits.awarenessPerSecond} awareness updates per second`)
          return false
        }
        if (!this.presenceBytes.take(m.update.length)) {
          this.reject(CLOSE.RATE_LIMITED, 'awareness_rate_limited', `presence: more than ${limits.awarenessBytesPerSecond} bytes of awareness per second`)
          return false
        }
        return true
      case 'auth':
        return true
    }
  }

  private async handleAll(messages: ClientMessage[]): Promise<void> {
    for (const m of messages) {
      if (this.closed) return
      await this.handle(m)
    }
  }

  private async handle(m: ClientMessage): Promise<void> {
    const { room } = this.ctx
    switch (m.type) {
      case 'sync-step1': {
        let reply: Uint8Array
        try {
          reply = Y.encodeStateAsUpdate(room.doc, m.stateVector)
        } catch {
          return this.reject(CLOSE.MALFORMED, 'malformed', 'sync step 1 carries a malformed state vector')
        }
        this.send(syncStep2(reply))
        return
      }
      case 'sync-step2':
        // A reconnecting client's reply carries its whole delete set even when
        // it has nothing new; logging that would add an entry per connection.
        if (this.addsNothing(m.update)) return
        return this.write(m.update)
      case 'update':
        return this.write(m.update)
      case 'awareness':
        try {
          const before = new Set(room.awareness.getStates().keys())
          awarenessProtocol.applyAwarenessUpdate(room.awareness, m.update, this)
          for (const id of room.awareness.getStates().keys()) if (!before.has(id)) this.clientIds.add(id)
        } catch {
          return this.reject(CLOSE.MALFORMED, 'malformed', 'malformed awareness update')
        }
        this.ctx.metrics.awarenessRelayed++
        return
      case 'query-awareness':
        this.send(awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(room.awareness, [...room.awareness.getStates().keys()])))
        return
      case 'auth':
        return
    }
  }

  private addsNothing(update: Uint8Array): boolean {
    try {
      return Y.snapshotContainsUpdate(Y.snapshot(this.ctx.room.doc), update)
    } catch {
      // Not decodable: let the append refuse it with its reason.
      return false
    }
  }

  private write(update: Uint8Array): Promise<void> | void {
    if (this.ctx.role !== 'write') {
      // `[S3]`: refused and counted; the connection stays to read and see presence.
      this.ctx.metrics.readOnlyWritesRefused++
      this.ctx.metrics.reject('read_only')
      if (!this.deniedSent) {
        this.deniedSent = true
        this.send(permissionDenied('read-only token: updates are refused'))
      }
      return
    }
    // A sync step 2 from a client that is already in sync carries an empty update.
    if (update.length === 2 && update[0] === 0 && update[1] === 0) return
    const submitted = this.ctx.room.submit([update], { client: firstClient(update), user: this.ctx.user })
    // Not awaited: later messages need not wait for this append; the room keeps order.
    submitted.catch((e: unknown) => {
      if (e instanceof InvalidUpdateError) this.reject(CLOSE.INVALID_UPDATE, 'invalid_update', e.reason)
      else if (e instanceof LogFullError) this.reject(CLOSE.INTERNAL, 'disk_full', 'disk full: the update was not stored; reconnect to resync')
      else {
        this.ctx.logger.error('append failed', { room: this.ctx.room.name, error: (e as Error).message })
        this.reject(CLOSE.INTERNAL, 'append_failed', 'the update could not be stored; reconnect to resync')
      }
    })
  }

  private reject(code: number, reason: string, message: string): void {
    this.ctx.metrics.reject(reason)
    this.ctx.logger.warn('closing connection', { room: this.ctx.room.name, code, reason: message })
    this.close(code, message)
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    this.ws.close(code, Buffer.from(reason).subarray(0, 123).toString())
    this.cleanup()
  }

  private cleanup(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    this.ctx.metrics.connections--
    this.ctx.room.peers.delete(this)
    this.ctx.room.detach(this)
    if (this.clientIds.size > 0) awarenessProtocol.removeAwarenessStates(this.ctx.room.awareness, [...this.clientIds], REMOTE_ORIGIN)
    this.onClosed?.()
  }

  /** Set by the server: called once when the connection is gone. */
  onClosed?: () => void
}
