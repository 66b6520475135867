/**
 * The seam between the HTTP handler and the routes in this folder: a route
 * matches a path and answers; room routes authorize the room first and read
 * the projection through `RoomTimeline`.
 */
import type http from 'node:http'
import type { RoomTimeline } from '../../projection/room-timeline.js'
import type { Metrics } from '../metrics.js'
import type { TokenClaims, TokenVerifier } from '../tokens.js'
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
  /** What tokens the server accepts; null: no auth (loopback only). */
  tokens: TokenVerifier | null
  metrics: Metrics
  /** Checks the request's token for a room (rejects with HttpError 401/403); null claims without auth. */
  authorize(req: http.IncomingMessage, room: string): Promise<TokenClaims | null>
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
 * JSON `answer` returns (or resolves to); its errors, and the token check's,
 * are sent here.
 */
export function roomRoute(deps: RouteDeps, pattern: RegExp, answer: (r: RoomRequest) => unknown): Route {
  return {
    pattern,
    handle({ res, req, url, match }) {
      const room = decodeSegment(match[1]!, 'room')
      // The token check is asynchronous (jose): every error of this route is sent here.
      const run = async () => {
        const claims = await deps.authorize(req, room)
        if (!deps.timeline) throw new HttpError(503, 'this server runs without a projection')
        return answer({ room, url, match, timeline: deps.timeline, claims })
      }
      run().then(
        (b) => send(res, 200, b),
        (e: unknown) => send(res, e instanceof HttpError ? e.status : 500, { error: (e as Error).message }),
      )
    },
  }
}
