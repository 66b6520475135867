/**
 * `GET /rooms/:room/activity?from=&to=&buckets=`: log entries per time bucket
 * and person over a time range (epoch ms or ISO times; default the room's
 * whole history), for the chart under the web view's slider.
 */
import { MAX_BUCKETS } from '../../projection/room-timeline.js'
import { HttpError, parseCount, parseTime } from './http-util.js'
import { type Route, type RouteDeps, roomRoute } from './route.js'

export function activityRoute(deps: RouteDeps): Route {
  return roomRoute(deps, /^\/rooms\/([^/]+)\/activity$/, ({ room, url, timeline }) => {
    const span = timeline.span(room)
    const from = parseTime(url.searchParams.get('from'), 'from') ?? span.first?.time ?? 0
    const to = parseTime(url.searchParams.get('to'), 'to') ?? span.last?.time ?? from
    if (to < from) throw new HttpError(400, `to (${to}) is before from (${from})`)
    const buckets = parseCount(url.searchParams.get('buckets'), 'buckets', 200, MAX_BUCKETS)
    return timeline.activity(room, from, to, buckets).then((a) => ({ room, ...a }))
  })
}
