/** `GET /rooms/:room/diff?from=&to=`: what was added, removed and changed between two points (default: the start and now). */
import { parseAt } from './http-util.js'
import { type Route, type RouteDeps, roomRoute } from './route.js'

export function diffRoute(deps: RouteDeps): Route {
  return roomRoute(deps, /^\/rooms\/([^/]+)\/diff$/, ({ room, url, timeline }) => {
    const from = parseAt(url.searchParams.get('from'), 'from') ?? { seq: 0 }
    const to = parseAt(url.searchParams.get('to'), 'to') ?? { seq: timeline.tt.head() }
    return { room, ...timeline.tt.diff(room, from, to) }
  })
}
