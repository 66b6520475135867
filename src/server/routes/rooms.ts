/**
 * `GET /rooms`: the rooms the request's token may read, with how many objects
 * each holds now and when a live object last changed. Without auth, every
 * room. A token naming one room (no `*`) lists that room even before it has
 * any history, so a person can open a new room.
 */
import type http from 'node:http'
import { roomMatches, TokenError } from '../tokens.js'
import { HttpError, send } from './http-util.js'
import { type Route, type RouteDeps, bearer } from './route.js'

export function roomsRoute(deps: RouteDeps): Route {
  return {
    pattern: /^\/rooms\/?$/,
    handle({ req, res }) {
      void list(deps, req, res).catch((e: unknown) => send(res, e instanceof HttpError ? e.status : 500, { error: (e as Error).message }))
    },
  }
}

async function list(deps: RouteDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let claims = null
  if (deps.tokens !== null) {
    try {
      claims = await deps.tokens.read(bearer(req))
    } catch (e) {
      if (!(e instanceof TokenError)) throw e
      deps.metrics.reject(`token_${e.code}`)
      throw new HttpError(401, e.message)
    }
  }
  if (!deps.timeline) throw new HttpError(503, 'this server runs without a projection')
  const pattern = claims?.room ?? '*'
  const rooms = deps.timeline.rooms().filter((r) => roomMatches(pattern, r.room))
  if (!pattern.includes('*') && !rooms.some((r) => r.room === pattern)) rooms.push({ room: pattern, objects: 0, lastSeq: null, lastTime: null })
  send(res, 200, { auth: deps.tokens !== null, pattern, role: claims?.role ?? 'write', name: claims?.name ?? null, rooms })
}
