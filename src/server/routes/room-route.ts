/**
 * What the history routes share: matching `/rooms/:room/...`, the same auth
 * as every room route (the check http-api.ts makes, passed in), the
 * projection, query parameters read strictly, and errors as JSON with the
 * status that fits (a name that fits several objects is 409 with the matches).
 */
import type http from 'node:http'
import { ExportError } from '../../export/export-range.js'
import { LookupError } from '../../projection/object-lookup.js'
import type { EventLog } from '../../log/event-log.js'
import type { At, TimeTravel } from '../../projection/time-travel.js'

export interface RouteContext {
  /** The projection's reads; null when the server runs without one (503). */
  tt: TimeTravel | null
  /** Rejects with an error with a `status` (401, 403) when the request may not read the room. */
  authorize(req: http.IncomingMessage, room: string): Promise<unknown>
  /** The log, where geometry bytes are read back from (glTF meshes); absent: nodes without meshes. */
  log?: EventLog | null
}

/** Handles the request and returns true, or returns false when it is not this route's. */
export type Route = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean

export class RouteError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

function statusOf(e: unknown): { status: number; body: Record<string, unknown> } {
  const message = (e as Error).message
  if (e instanceof RouteError) return { status: e.status, body: { error: message, ...e.body } }
  if (e instanceof LookupError) return { status: e.code === 'ambiguous_object' ? 409 : 404, body: { error: message, code: e.code, ...(e.matches.length ? { matches: e.matches } : {}) } }
  if (e instanceof ExportError) return { status: 400, body: { error: message } }
  const status = (e as { status?: unknown }).status
  return { status: typeof status === 'number' ? status : 500, body: { error: message } }
}

/** A failure as JSON, or, once a streamed body has begun, a cut connection (the client sees it incomplete). */
export function sendError(res: http.ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const { status, body } = statusOf(e)
  sendJson(res, status, body)
}

export type RoomHandler = (args: { match: RegExpExecArray; room: string; tt: TimeTravel; req: http.IncomingMessage; res: http.ServerResponse; url: URL }) => void | Promise<void>

/** A route under `/rooms/:room/` (the pattern's first group is the room). */
export function roomRoute(ctx: RouteContext, pattern: RegExp, handle: RoomHandler): Route {
  return (req, res, url) => {
    const match = pattern.exec(url.pathname)
    if (!match) return false
    const run = async () => {
      const room = decodeURIComponent(match[1]!)
      await ctx.authorize(req, room)
      if (!ctx.tt) throw new RouteError(503, 'this server runs without a projection')
      await handle({ match, room, tt: ctx.tt, req, res, url })
    }
    run().catch((e: unknown) => sendError(res, e))
    return true
  }
}

export function atParam(url: URL, name: string): At | undefined {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === '') return undefined
  if (/^\d+$/.test(raw)) return { seq: Number(raw) }
  const t = Date.parse(raw)
  if (Number.isNaN(t)) throw new RouteError(400, `${name} must be a log position (digits) or an ISO date/time, got ${JSON.stringify(raw)}`)
  return { time: t }
}

export function intParam(url: URL, name: string, min: number, max: number): number | undefined {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === '') return undefined
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new RouteError(400, `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  return n
}
