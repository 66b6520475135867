/**
 * The HTTP read API on the server's port: liveness, metrics, and time-travel
 * reads served from the projection. Tokens come as `Authorization: Bearer`.
 */
import type http from 'node:http'
import { TimeTravel } from '../projection/time-travel.js'
import { Timeline } from '../projection/timeline.js'
import type { SqlDatabase } from '../projection/sql.js'
import type { Metrics } from './metrics.js'
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
  const routes = pageRoutes({ timeline: opts.projection && tt ? new Timeline(opts.projection, tt) : null, secret: opts.secret, metrics: opts.metrics, authorize })
  return (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'only GET is served')
      if (url.pathname === '/healthz') return send(res, 200, { ok: true })
      if (url.pathname === '/metrics') {
        opts.refreshMetrics?.()
        return send(res, 200, opts.metrics.render(), 'text/plain; version=0.0.4')
      }
      if (dispatch(routes, { req, res, url })) return
      const scene = /^\/rooms\/([^/]+)\/scene$/.exec(url.pathname)
      const history = /^\/rooms\/([^/]+)\/objects\/([^/]+)\/history$/.exec(url.pathname)
      if (!scene && !history) throw new HttpError(404, `no route for ${url.pathname}`)
      const room = decodeURIComponent((scene ?? history)![1]!)
      authorize(req, room)
      if (!tt) throw new HttpError(503, 'this server runs without a projection')
      if (scene) {
        const at = parseAt(url.searchParams.get('at'), 'at')
        return send(res, 200, { room, at: tt.resolve(at), objects: tt.sceneAt(room, at) })
      }
      const id = decodeURIComponent(history![2]!)
      const from = parseAt(url.searchParams.get('from'), 'from')
      const to = parseAt(url.searchParams.get('to'), 'to')
      return send(res, 200, { room, object: id, points: tt.path(room, id, from, to) })
    } catch (e) {
      if (e instanceof HttpError) return send(res, e.status, { error: e.message })
      return send(res, 500, { error: (e as Error).message })
    }
  }
}
