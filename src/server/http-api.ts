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
import type { Route } from './routes/room-route.js'
import { timelineRoutes } from './routes/timeline.js'
import { matchDataRoute, serveData } from './routes/data.js'
import { HttpError, parseAt, send } from './routes/http-util.js'
import { dispatch, pageRoutes } from './routes/page-routes.js'
import { TokenError, verifyToken } from './tokens.js'

export interface HttpApiOptions {
  secret: string | null
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
  const authorize = (req: http.IncomingMessage, room: string) => {
    if (opts.secret === null) return null
    const h = req.headers.authorization
    const token = h?.startsWith('Bearer ') ? h.slice(7) : null
    try {
      return verifyToken(opts.secret, token, room)
    } catch (e) {
      if (e instanceof TokenError) {
        opts.metrics.reject(`token_${e.code}`)
        throw new HttpError(e.code === 'wrong_room' ? 403 : 401, e.message)
      }
      throw e
    }
  }
  const routeContext = { tt, authorize, log: opts.log ?? null }
  const roomRoutes: Route[] = [...objectHistoryRoutes(routeContext), ...timelineRoutes(routeContext), ...exportRoutes(routeContext)]
  const pageRouteList = pageRoutes({ timeline: opts.projection && tt ? new RoomTimeline(opts.projection, tt) : null, secret: opts.secret, metrics: opts.metrics, authorize })
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
        return send(res, 200, opts.metrics.render(), 'text/plain; version=0.0.4')
      }
      const data = matchDataRoute(url.pathname)
      if (data) {
        authorize(req, data.room)
        if (!tt) throw new HttpError(503, 'this server runs without a projection')
        return void serveData(tt, opts.log ?? null, data, parseAt(url.searchParams.get('at'), 'at'), url, res)
      }
      for (const route of roomRoutes) if (route(req, res, url)) return
      if (dispatch(pageRouteList, { req, res, url })) return
      const scene = /^\/rooms\/([^/]+)\/scene$/.exec(url.pathname)
      if (!scene) throw new HttpError(404, `no route for ${url.pathname}`)
      const room = decodeURIComponent(scene[1]!)
      authorize(req, room)
      if (!tt) throw new HttpError(503, 'this server runs without a projection')
      const at = parseAt(url.searchParams.get('at'), 'at')
      return send(res, 200, { room, at: tt.resolve(at), objects: tt.sceneAt(room, at), ...tt.contentAt(room, at) })
    } catch (e) {
      if (e instanceof HttpError) return send(res, e.status, { error: e.message })
      return send(res, 500, { error: (e as Error).message })
    }
  }
}
