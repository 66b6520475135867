/**
 * `GET /rooms/:room/objects/:id?at=`: one object as it was at a point (now by
 * default) and its last change by then: who, when, what. The web view's
 * inspector asks this when a person clicks an object. An object the history
 * does not hold (yet: the projector runs behind the live doc) answers
 * `object: null, lastChange: null`, as `/scene` answers an unknown room with
 * no objects and `/history` an unknown object with no points.
 */
import { parseAt } from './http-util.js'
import { type Route, type RouteDeps, decodeSegment, roomRoute } from './route.js'

export function objectRoute(deps: RouteDeps): Route {
  return roomRoute(deps, /^\/rooms\/([^/]+)\/objects\/([^/]+)$/, ({ room, url, match, timeline }) => {
    const id = decodeSegment(match[2]!, 'object id')
    const at = parseAt(url.searchParams.get('at'), 'at')
    return { room, at: timeline.tt.resolve(at), ...timeline.objectAt(room, id, at) }
  })
}
