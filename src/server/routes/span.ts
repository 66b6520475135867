/**
 * `GET /rooms/:room/span`: the room's first and last log entry (position
 * and server time), the projection's head, the server's clock, and what the
 * token may do: what a time slider over the room needs before anything else.
 */
import { type Route, type RouteDeps, roomRoute } from './route.js'

export function spanRoute(deps: RouteDeps): Route {
  return roomRoute(deps, /^\/rooms\/([^/]+)\/span$/, ({ room, timeline, claims }) => ({
    ...timeline.span(room),
    now: Date.now(),
    role: claims?.role ?? 'write',
    name: claims?.name ?? null,
  }))
}
