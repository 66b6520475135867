/** `GET /rooms/:room/scene?at=SEQ|TIME`: the scene at a point of history, now by default. */
import { type Route, type RouteContext, atParam, roomRoute, sendJson } from './room-route.js'

export function sceneRoutes(ctx: RouteContext): Route[] {
  return [
    roomRoute(ctx, /^\/rooms\/([^/]+)\/scene$/, ({ room, tt, res, url }) => {
      const at = atParam(url, 'at')
      sendJson(res, 200, { room, at: tt.resolve(at), objects: tt.sceneAt(room, at), ...tt.contentAt(room, at) })
    }),
  ]
}
