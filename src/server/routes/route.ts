/**
 * The seam between the HTTP handler and the routes in this folder: a route
 * matches a path and answers; room routes authorize the room first and read
 * the projection through `RoomTimeline`.
 */
import type http from 'node:http'
import type { RoomTimeline } from '../../projection/room-timeline.js'
import type { Metrics } from '../metrics.js'
import type { TokenClaims } from '../tokens.js'
import { HttpError, send } from './http-util.js'

export interface RouteContext {
  req: http.IncomingMessage
  res: http.ServerResponse
  url: URL
  match: RegExpExecArray
}

export interface Route {
  pattern: RegExp
  handle(ctx: RouteContext): void
}

export interface RouteDeps {
  /** The projection's reads; null when the server runs without one. */
  timeline: RoomTimeline | null
  secret: string | null
  metrics: Metrics
  /** Checks the request's token for a room (throws HttpError 401/403); null claims without auth. */
  authorize(req: http.IncomingMessage, room: string): TokenClaims | null
}

export interface RoomRequest {
  room: string
  url: URL
  match: RegExpExecArray
  timeline: RoomTimeline
  claims: TokenClaims | null
}

export function bearer(req: http.IncomingMessage): string | null {
  const h = req.headers.authorization
  return h?.startsWith('Bearer ') ? h.slice(7) : null
}

export function decodeSegment(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    throw new HttpError(400, `${what} is not valid URL encoding: ${JSON.stringify(raw)}`)
  }
}

/**
 * A route under /rooms/:room/…: group 1 of `pattern` is the room; answers the
 * JSON `answer` returns (or resolves to: errors of an asynchronous answer are
 * sent here, the synchronous ones by the HTTP handler).
 */
export function roomRoute(deps: RouteDeps, pattern: RegExp, answer: (r: RoomRequest) => unknown): Route {
  return {
    pattern,
    handle({ res, req, url, match }) {
      const room = decodeSegment(match[1]!, 'room')
      const claims = deps.authorize(req, room)
      if (!deps.timeline) throw new HttpError(503, 'this server runs without a projection')
      const body = answer({ room, url, match, timeline: deps.timeline, claims })
      if (!(body instanceof Promise)) return send(res, 200, body)
      body.then(
        (b) => send(res, 200, b),
        (e: unknown) => send(res, e instanceof HttpError ? e.status : 500, { error: (e as Error).message }),
      )
    },
  }
}
