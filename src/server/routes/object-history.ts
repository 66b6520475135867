/**
 * `GET /rooms/:room/objects/:ref/history?from=&to=`: one object's changes over
 * a range, the object named by id or by name (docs/http-api.md). An unknown
 * room or object is 404, a name several objects have is 409 listing them.
 */
import { type Route, type RouteContext, atParam, roomRoute, sendJson } from './room-route.js'

export function objectHistoryRoutes(ctx: RouteContext): Route[] {
  return [
    roomRoute(ctx, /^\/rooms\/([^/]+)\/objects\/([^/]+)\/history$/, ({ match, room, tt, res, url }) => {
      const from = atParam(url, 'from')
      const to = atParam(url, 'to')
      const o = tt.resolveObject(room, decodeURIComponent(match[2]!))
      const span = tt.span(from, to)
      sendJson(res, 200, {
        room,
        object: o.id,
        name: o.name,
        from: span.from,
        to: span.to,
        points: tt.objectPath(room, o.id, from, to),
        bones: tt.bonePath(room, o.id, from, to),
      })
    }),
  ]
}
