/**
 * `GET /rooms/:room/objects/:id?at=`: one object as it was at a point (now by
 * default) and its last change by then: who, when, what. The web view's
 * inspector asks this when a person clicks an object.
 */
import { HttpError, parseAt } from './http-util.js'
import { type Route, type RouteDeps, decodeSegment, roomRoute } from './route.js'

export function objectRoute(deps: RouteDeps): Route {
  return roomRoute(deps, /^\/rooms\/([^/]+)\/objects\/([^/]+)$/, ({ room, url, match, timeline }) => {
    const id = decodeSegment(match[2]!, 'object id')
    const at = parseAt(url.searchParams.get('at'), 'at')
    const found = timeline.objectAt(room, id, at)
    if (!found.object && !found.lastChange) throw new HttpError(404, `room ${JSON.stringify(room)} has no object ${JSON.stringify(id)}`)
    return { room, at: timeline.tt.resolve(at), ...found }
  })
}
