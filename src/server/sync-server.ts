/**
 * The sync server: y-websocket protocol over `ws` and the HTTP read API on one
 * port. Rooms are loaded on first connection and unloaded when idle.
 */
import http from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { EventLog } from '../log/event-log.js'
import { LogFullError } from '../log/errors.js'
import { type Logger, silentLogger } from '../logger.js'
import type { SqlDatabase } from '../projection/sql.js'
import { CLOSE } from './close-codes.js'
import { Connection, DEFAULT_LIMITS, type Limits } from './connection.js'
import { createHttpHandler } from './http-api.js'
import { Metrics } from './metrics.js'
import { Room } from './room.js'
import { type Role, TokenError, TokenVerifier } from './tokens.js'

export interface SyncServerOptions {
  log: EventLog
  /** The projection database the HTTP API reads; null for none. */
  projection?: SqlDatabase | null
  host?: string
  port?: number
  /** HS256 secret for tokens; null (and no `tokens`) runs without auth (loopback only). */
  secret?: string | null
  /** What tokens are accepted (a secret and/or an identity provider's keys); overrides `secret`. */
  tokens?: TokenVerifier | null
  limits?: Partial<Limits>
  logger?: Logger
  metrics?: Metrics
  /** How long a room with no connections stays loaded. */
  unloadAfterMs?: number
  /** Apply what other processes append (shared stores such as FoundationDB). */
  tailForeign?: boolean
  /** Updates the projector-lag gauge before /metrics renders. */
  refreshMetrics?: () => void
  /** Problems of parts beside the server (the projector), for /healthz; empty when well. */
  health?: () => string[]
}

export class ConfigError extends Error {
  readonly code = 'config'
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

function refuse(socket: Duplex, status: number, text: string, message: string): void {
  const body = JSON.stringify({ error: message })
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
}

export class SyncServer {
  readonly metrics: Metrics
  private readonly http: http.Server
  private readonly wss: WebSocketServer
  /** Loaded rooms. */
  private readonly rooms = new Map<string, Room>()
  /** Rooms still loading, kept apart so a failed load is dropped, never served from. */
  private readonly loading = new Map<string, Room>()
  private readonly unloadTimers = new Map<string, NodeJS.Timeout>()
  private readonly connections = new Set<Connection>()
  private readonly limits: Limits
  private readonly logger: Logger
  private readonly tokens: TokenVerifier | null
  private readonly unsubscribe: () => void
  private closing = false
  /** Set while appends fail for a full disk; cleared by the next append that is stored. */
  private logFull: { since: string; detail: string } | null = null

  constructor(private readonly opts: SyncServerOptions) {
    this.tokens = opts.tokens ?? (opts.secret ? new TokenVerifier({ secret: opts.secret }) : null)
    const host = opts.host ?? '127.0.0.1'
    if (!isLoopback(host) && !this.tokens) {
      throw new ConfigError(`refusing to listen on ${host} without a secret: pass --secret (or SCENESYNC_SECRET), --jwks or --public-key, or bind to 127.0.0.1`)
    }
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
    this.logger = opts.logger ?? silentLogger
    this.metrics = opts.metrics ?? new Metrics()
    this.http = http.createServer(
      createHttpHandler({
        tokens: this.tokens,
        metrics: this.metrics,
        projection: opts.projection ?? null,
        log: opts.log,
        health: () => this.problems(),
        ...(opts.refreshMetrics ? { refreshMetrics: opts.refreshMetrics } : {}),
      }),
    )
    // Up to this, our own limit answers with 4413 and a reason; beyond it ws
    // stops reading the frame and closes with 1009, so no frame is held whole.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxMessageBytes + Math.max(1 << 20, this.limits.maxMessageBytes) })
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head))
    this.unsubscribe = opts.log.subscribe((room, cursor) => (this.rooms.get(room) ?? this.loading.get(room))?.heard(cursor))
  }

  listen(): Promise<{ host: string; port: number }> {
    const host = this.opts.host ?? '127.0.0.1'
    return new Promise((resolve, reject) => {
      this.http.once('error', reject)
      this.http.listen(this.opts.port ?? 1234, host, () => {
        this.http.off('error', reject)
        const addr = this.http.address()
        resolve({ host, port: typeof addr === 'object' && addr ? addr.port : (this.opts.port ?? 1234) })
      })
    })
  }

  /** What is wrong now (for /healthz); empty when all is well. */
  problems(): string[] {
    const out: string[] = []
    if (this.logFull) out.push(`event log: disk full since ${this.logFull.since}; updates are refused until there is room (${this.logFull.detail})`)
    return out.concat(this.opts.health?.() ?? [])
  }

  private appended(error: unknown): void {
    if (error === null) {
      if (this.logFull) this.logger.info('event log: appends stored again after a full disk', { since: this.logFull.since })
      this.logFull = null
    } else if (error instanceof LogFullError && !this.logFull) {
      this.logFull = { since: new Date().toISOString(), detail: error.message }
      this.logger.error('event log: disk full; updates are refused until there is room', { error: error.message })
    }
  }

  /** Rooms in memory, loaded or loading. */
  get roomCount(): number {
    return this.rooms.size + this.loading.size
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing) return refuse(socket, 503, 'Service Unavailable', 'server is shutting down')
    const url = new URL(req.url ?? '/', 'http://localhost')
    let room: string
    try {
      room = decodeURIComponent(url.pathname.slice(1))
    } catch {
      return refuse(socket, 400, 'Bad Request', 'room name is not valid URL encoding')
    }
    if (room.length === 0 || room.length > 256) return refuse(socket, 400, 'Bad Request', 'the room is the URL path: ws://host:port/<room>, 1..256 characters')
    const user = url.searchParams.get('name') ?? 'anonymous'
    if (!this.tokens) return this.accept(req, socket, head, room, { role: 'write', user, expiresAt: null })
    // Verifying is asynchronous: the socket waits, unserved, until its token is known good.
    const ignore = () => {}
    socket.on('error', ignore)
    this.tokens.verify(url.searchParams.get('token'), room).then(
      (claims) => {
        socket.off('error', ignore)
        if (socket.destroyed) return
        if (this.closing) return refuse(socket, 503, 'Service Unavailable', 'server is shutting down')
        this.accept(req, socket, head, room, { role: claims.role, user: claims.name ?? user, expiresAt: claims.exp * 1000 })
      },
      (e: unknown) => {
        socket.off('error', ignore)
        if (!(e instanceof TokenError)) {
          this.logger.error('token check failed', { room, error: (e as Error).message })
          return refuse(socket, 500, 'Internal Server Error', 'the token could not be checked')
        }
        this.metrics.reject(`token_${e.code}`)
        return refuse(socket, e.code === 'wrong_room' ? 403 : 401, e.code === 'wrong_room' ? 'Forbidden' : 'Unauthorized', e.message)
      },
    )
  }

  private accept(req: http.IncomingMessage, socket: Duplex, head: Buffer, room: string, who: { role: Role; user: string; expiresAt: number | null }): void {
    const existing = this.rooms.get(room) ?? this.loading.get(room)
    if (existing && existing.attached >= this.limits.connectionsPerRoom) {
      this.metrics.reject('room_full')
      return refuse(socket, 503, 'Service Unavailable', `room is full (${this.limits.connectionsPerRoom} connections)`)
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const r = this.room(room)
      const conn = new Connection(ws, { room: r, role: who.role, user: who.user, expiresAt: who.expiresAt, limits: this.limits, metrics: this.metrics, logger: this.logger })
      this.connections.add(conn)
      conn.onClosed = () => {
        this.connections.delete(conn)
        if (r.attached === 0) this.scheduleUnload(room)
      }
    })
  }

  private room(name: string): Room {
    const t = this.unloadTimers.get(name)
    if (t) {
      clearTimeout(t)
      this.unloadTimers.delete(name)
    }
    const known = this.rooms.get(name) ?? this.loading.get(name)
    if (known) return known
    const r = new Room(name, { log: this.opts.log, metrics: this.metrics, logger: this.logger, tailForeign: this.opts.tailForeign ?? false, onAppend: (e) => this.appended(e) })
    this.loading.set(name, r)
    this.metrics.roomsLoaded = this.roomCount
    r.ready.then(
      () => {
        if (this.loading.get(name) !== r) return
        this.loading.delete(name)
        this.rooms.set(name, r)
        if (r.attached === 0) this.scheduleUnload(name)
      },
      (e: unknown) => {
        // Dropped: its connections are closed (4500) and the next one loads the room anew.
        if (this.loading.get(name) === r) this.loading.delete(name)
        this.metrics.roomsLoaded = this.roomCount
        this.metrics.reject('room_load_failed')
        this.logger.error('room failed to load; the next connection loads it again', { room: name, error: (e as Error).message })
        void r.close()
      },
    )
    return r
  }

  private scheduleUnload(name: string): void {
    if (this.unloadTimers.has(name) || this.closing) return
    const t = setTimeout(() => {
      this.unloadTimers.delete(name)
      // A room still loading is looked at again once its load settles.
      const r = this.rooms.get(name)
      if (!r || r.attached > 0) return
      // An append still in flight would be missing from a room loaded anew
      // from the log meanwhile: wait until the room has settled.
      if (r.pending > 0) return this.scheduleUnload(name)
      this.rooms.delete(name)
      this.metrics.roomsLoaded = this.roomCount
      // Rooms with no clients leave memory; the log has everything.
      void r.close()
    }, this.opts.unloadAfterMs ?? 30_000)
    t.unref()
    this.unloadTimers.set(name, t)
  }

  /**
   * Graceful stop: refuse new connections, let every submitted update finish
   * its append and broadcast, then close the connections. Nothing acknowledged
   * is lost; nothing half-done is acknowledged.
   */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.unsubscribe()
    const stopped = new Promise<void>((resolve) => this.http.close(() => resolve()))
    const all = [...this.rooms.values(), ...this.loading.values()]
    await Promise.all(all.map((r) => r.settled()))
    for (const c of this.connections) c.close(CLOSE.GOING_AWAY, 'server shutting down')
    for (const t of this.unloadTimers.values()) clearTimeout(t)
    await Promise.all(all.map((r) => r.close()))
    this.rooms.clear()
    this.loading.clear()
    this.wss.close()
    this.http.closeAllConnections()
    await stopped
  }
}
