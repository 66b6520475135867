/**
 * The room's log as a timeline, for a history slider (the Blender panel, or
 * any client): `GET /rooms/:room/timeline?after=&before=&limit=` pages of
 * entries with who changed what by object name, and
 * `GET /rooms/:room/timeline/summary?buckets=` the whole room in one answer
 * (span, entries per time bucket, where each client joined) for its markers.
 */
import { type Route, type RouteContext, RouteError, intParam, roomRoute, sendJson } from './room-route.js'

export const TIMELINE_MAX_LIMIT = 2000

export function timelineRoutes(ctx: RouteContext): Route[] {
  return [
    roomRoute(ctx, /^\/rooms\/([^/]+)\/timeline$/, ({ room, tt, res, url }) => {
      const after = intParam(url, 'after', 0, Number.MAX_SAFE_INTEGER)
      const before = intParam(url, 'before', 0, Number.MAX_SAFE_INTEGER)
      if (after !== undefined && before !== undefined) throw new RouteError(400, 'pass after or before, not both')
      const limit = intParam(url, 'limit', 1, TIMELINE_MAX_LIMIT) ?? 500
      sendJson(res, 200, tt.timeline(room, { ...(after !== undefined ? { after } : {}), ...(before !== undefined ? { before } : {}), limit }))
    }),
    roomRoute(ctx, /^\/rooms\/([^/]+)\/timeline\/summary$/, ({ room, tt, res, url }) => {
      sendJson(res, 200, tt.timelineSummary(room, intParam(url, 'buckets', 1, 2000) ?? 100))
    }),
  ]
}
