/**
 * `GET /rooms/:room/changes?from=&to=&limit=`: who changed what, when, in the
 * latest `limit` log entries of [from, to] (default: all of history, 100
 * entries), oldest first, each change with the object's name as of then.
 * `next` is the `to` of the next, older page (null at the start).
 */
import { MAX_PAGE } from '../../projection/room-timeline.js'
import { parseAt, parseCount } from './http-util.js'
import { type Route, type RouteDeps, roomRoute } from './route.js'

export function changesRoute(deps: RouteDeps): Route {
  return roomRoute(deps, /^\/rooms\/([^/]+)\/changes$/, ({ room, url, timeline }) => {
    const from = parseAt(url.searchParams.get('from'), 'from')
    const to = parseAt(url.searchParams.get('to'), 'to')
    const limit = parseCount(url.searchParams.get('limit'), 'limit', 100, MAX_PAGE)
    const page = timeline.changesPage(room, { ...(from ? { from } : {}), ...(to ? { to } : {}), limit })
    return { room, to: timeline.tt.resolve(to), ...page }
  })
}
