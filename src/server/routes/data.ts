/**
 * `GET /rooms/:room/data/:id?at=SEQ|TIME`: a data block as it was at a point of
 * history (now by default): its settings, the summary of its geometry and the
 * geometry's bytes (base64 in `geometry.base64`; `?bytes=0` leaves them out).
 * `GET /rooms/:room/data/:id/geometry?at=` answers the bytes alone, as
 * application/octet-stream in the encoding of docs/geometry-format.md. The
 * bytes are read back from the log entries that carried them (`[D4]`).
 */
import type http from 'node:http'
import type { EventLog } from '../../log/event-log.js'
import { GeometryReadError } from '../../projection/data-travel.js'
import type { At, TimeTravel } from '../../projection/time-travel.js'

export interface DataRoute {
  room: string
  id: string
  raw: boolean
}

const PATH = /^\/rooms\/([^/]+)\/data\/([^/]+)(\/geometry)?$/

export function matchDataRoute(pathname: string): DataRoute | null {
  const m = PATH.exec(pathname)
  return m ? { room: decodeURIComponent(m[1]!), id: decodeURIComponent(m[2]!), raw: m[3] !== undefined } : null
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

/** Answers the route; errors become JSON with a status, never a throw. */
export async function serveData(tt: TimeTravel, log: EventLog | null, route: DataRoute, at: At | undefined, url: URL, res: http.ServerResponse): Promise<void> {
  try {
    const seq = tt.resolve(at)
    const block = tt.dataAt(route.room, route.id, at)
    if (!block) return json(res, 404, { error: `no data block ${JSON.stringify(route.id)} in room ${JSON.stringify(route.room)} at position ${seq}` })
    const wantBytes = route.raw || url.searchParams.get('bytes') !== '0'
    let bytes: Uint8Array | null = null
    if (wantBytes && block.geometry && !block.geometry.pending) {
      if (!log) return json(res, 503, { error: 'this server has no log to read geometry from' })
      bytes = await tt.content.geometryBytes(log, tt.roomId(route.room)!, block)
    }
    if (route.raw) {
      if (!block.geometry) return json(res, 404, { error: `data block ${JSON.stringify(route.id)} has no geometry at position ${seq}` })
      if (!bytes) return json(res, 409, { error: `the geometry of ${JSON.stringify(route.id)} at position ${seq} was not complete yet` })
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length, 'x-scenesync-hash': block.geometry.hash, 'x-scenesync-seq': String(block.seq), 'cache-control': 'no-store' })
      res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))
      return
    }
    const geometry = block.geometry && { ...block.geometry, ...(bytes ? { base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64') } : {}) }
    return json(res, 200, { room: route.room, at: seq, ...block, geometry })
  } catch (e) {
    if (e instanceof GeometryReadError) return json(res, 500, { error: e.message })
    return json(res, 500, { error: (e as Error).message })
  }
}
