/**
 * `GET /rooms/:room/export?format=gltf|csv|parquet&from=&to=&fps=&interpolation=`:
 * a time range as a file, streamed as it is written (docs/export.md). Bad
 * parameters and an unknown room are answered before the first byte; a
 * client that goes away ends the export at the next page.
 */
import { SinkClosedError, type ByteSink, streamSink } from '../../export/byte-sink.js'
import { FORMAT_FILES, exportRange, exportSpan, parseFormat, parseFps, parseInterpolation } from '../../export/export-range.js'
import { LogGeometrySource } from '../../export/log-geometry-source.js'
import { type Route, type RouteContext, atParam, roomRoute } from './room-route.js'

/** Parquet row groups of this many rows keep each synchronous encoding step short on the server's thread. */
const SERVER_ROW_GROUP_ROWS = 16_384

export function exportRoutes(ctx: RouteContext): Route[] {
  return [
    roomRoute(ctx, /^\/rooms\/([^/]+)\/export$/, async ({ room, tt, req, res, url }) => {
      const format = parseFormat(url.searchParams.get('format'))
      const fps = parseFps(url.searchParams.get('fps'))
      const interpolation = parseInterpolation(url.searchParams.get('interpolation'))
      const from = atParam(url, 'from')
      const to = atParam(url, 'to')
      const span = exportSpan(tt, { room, ...(from ? { from } : {}), ...(to ? { to } : {}) })
      const file = `${room.replace(/[^A-Za-z0-9._-]/g, '_')}-${span.from}-${span.to}.${FORMAT_FILES[format].extension}`
      const headers = {
        'content-type': FORMAT_FILES[format].contentType,
        'content-disposition': `attachment; filename="${file}"`,
        'cache-control': 'no-store',
        'x-scenesync-range': `${span.from}-${span.to}`,
      }
      if (req.method === 'HEAD') {
        res.writeHead(200, headers)
        res.end()
        return
      }
      const abort = new AbortController()
      res.on('close', () => {
        if (!res.writableFinished) abort.abort(new SinkClosedError())
      })
      const body = streamSink(res)
      const sink: ByteSink = {
        write(bytes) {
          if (!res.headersSent) res.writeHead(200, headers)
          return body.write(bytes)
        },
      }
      try {
        await exportRange(
          tt,
          { room, format, ...(from ? { from } : {}), ...(to ? { to } : {}), ...(fps !== undefined ? { fps } : {}), ...(interpolation ? { interpolation } : {}), ...(format === 'gltf' && ctx.log ? { geometry: new LogGeometrySource(tt, ctx.log, room) } : {}), rowGroupRows: SERVER_ROW_GROUP_ROWS },
          sink,
          { signal: abort.signal },
        )
      } catch (e) {
        // The reader left: nothing to answer.
        if (abort.signal.aborted || e instanceof SinkClosedError) return void res.destroy()
        throw e
      }
      if (!res.headersSent) res.writeHead(200, headers)
      res.end()
    }),
  ]
}
