/**
 * The HTTP read API on the server's port: liveness, metrics, and time-travel
 * reads served from the projection. Tokens come as `Authorization: Bearer`.
 */
import type http from 'node:http'
import { TimeTravel } from '../projection/time-travel.js'
import { RoomTimeline } from '../projection/room-timeline.js'
import type { SqlDatabase } from '../projection/sql.js'
import type { EventLog } from '../log/event-log.js'
import type { Metrics } from './metrics.js'
import { exportRoutes } from './routes/export.js'
import { objectHistoryRoutes } from './routes/object-history.js'
import { openApiRoute } from './routes/openapi.js'
import { type Route, atParam, roomRoute } from './routes/room-route.js'
import { sceneRoutes } from './routes/scene.js'
import { timelineRoutes } from './routes/timeline.js'
import { matchDataRoute, serveData } from './routes/data.js'
import { HttpError, send } from './routes/http-util.js'
import { dispatch, pageRoutes } from './routes/page-routes.js'
import { type TokenClaims, TokenError, type TokenVerifier } from './tokens.js'

export interface HttpApiOptions {
  /** What tokens the room routes accept; null: no auth (loopback only). */
  tokens: TokenVerifier | null
  metrics: Metrics
  /** The projection; absent when the server runs without one. */
  projection: SqlDatabase | null
  /** Updates the lag gauge before /metrics renders. */
  refreshMetrics?: () => void
  /** What is wrong now; /healthz reports "degraded" with these (reads still work). */
  health?: () => string[]
  /** The log, for geometry bytes at a past point (routes/data.ts). */
  log?: EventLog
}

export function createHttpHandler(opts: HttpApiOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const tt = opts.projection ? new TimeTravel(opts.projection) : null
  const authorize = async (req: http.IncomingMessage, room: string): Promise<TokenClaims | null> => {
    if (opts.tokens === null) return null
    const h = req.headers.authorization
    const token = h?.startsWith('Bearer ') ? h.slice(7) : null
    try {
      return await opts.tokens.verify(token, room)
    } catch (e) {
      if (e instanceof TokenError) {
        opts.metrics.reject(`token_${e.code}`)
        throw new HttpError(e.code === 'wrong_room' ? 403 : 401, e.message)
      }
      throw e
    }
  }
  const routeContext = { tt, authorize, log: opts.log ?? null }
  const dataRoute = roomRoute(routeContext, /^\/rooms\/([^/]+)\/data\/[^/]+(?:\/geometry)?$/, ({ tt, url, res }) =>
    serveData(tt, opts.log ?? null, matchDataRoute(url.pathname)!, atParam(url, 'at'), url, res),
  )
  const routes: Route[] = [openApiRoute(), ...sceneRoutes(routeContext), dataRoute, ...objectHistoryRoutes(routeContext), ...timelineRoutes(routeContext), ...exportRoutes(routeContext)]
  const pageRouteList = pageRoutes({ timeline: opts.projection && tt ? new RoomTimeline(opts.projection, tt) : null, tokens: opts.tokens, metrics: opts.metrics, authorize })
  return (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'only GET is served')
      // time: the server's clock, which agents measure their offset to (per-channel newest-wins).
      if (url.pathname === '/healthz') {
        const problems = opts.health?.() ?? []
        return send(res, 200, problems.length === 0 ? { ok: true, status: 'ok', time: Date.now() } : { ok: false, status: 'degraded', problems, time: Date.now() })
      }
      if (url.pathname === '/metrics') {
        opts.refreshMetrics?.()
        void opts.metrics.render().then(
          (text) => send(res, 200, text, opts.metrics.contentType),
          (e: unknown) => send(res, 500, { error: `metrics: ${(e as Error).message}` }),
        )
        return
      }
      for (const route of routes) if (route(req, res, url)) return
      if (dispatch(pageRouteList, { req, res, url })) return
      throw new HttpError(404, `no route for ${url.pathname}`)
    } catch (e) {
      if (e instanceof HttpError) return send(res, e.status, { error: e.message })
      return send(res, 500, { error: (e as Error).message })
    }
  }
}
