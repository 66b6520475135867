/**
 * `GET /` and `GET /web/<file>`: the web view, built by `npm run build` into
 * dist/web (esbuild; nothing is fetched from elsewhere, so it works offline).
 * A file built gzipped beside itself is sent gzipped to browsers that take it.
 * The page learns from a meta tag whether the server wants a token, so it can
 * ask for one before its first request instead of provoking a 401.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { send } from './http-util.js'
import type http from 'node:http'
import type { Route } from './route.js'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/** dist/web of the package this file belongs to, run from src/ (tsx) or from dist/. */
export function defaultWebRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir)
    if (up === dir) break
    dir = up
  }
  return path.join(dir, 'dist', 'web')
}

export function webViewRoutes(opts: { auth: boolean; root?: string }): Route[] {
  const root = opts.root ?? defaultWebRoot()
  const serve = (file: string, req: http.IncomingMessage, res: http.ServerResponse) => {
    const full = path.join(root, file)
    let stat: fs.Stats
    try {
      stat = fs.statSync(full)
    } catch {
      if (file === 'index.html') {
        return send(res, 503, `<!doctype html><title>scenesync</title><p>The web view is not built: run <code>npm run build</code> and reload.`, 'text/html; charset=utf-8')
      }
      return send(res, 404, { error: `no file ${file} in the web view` })
    }
    const etag = `"${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}${opts.auth ? '-a' : ''}"`
    const headers: Record<string, string> = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', etag }
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers)
      return res.end()
    }
    if (file === 'index.html') {
      const html = fs.readFileSync(full, 'utf8').replace('<meta name="scenesync-auth" content="off">', `<meta name="scenesync-auth" content="${opts.auth ? 'token' : 'off'}">`)
      headers['content-length'] = String(Buffer.byteLength(html))
      res.writeHead(200, headers)
      return res.end(req.method === 'HEAD' ? undefined : html)
    }
    let body = full
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && fs.existsSync(full + '.gz')) {
      body = full + '.gz'
      headers['content-encoding'] = 'gzip'
      headers.vary = 'accept-encoding'
    }
    headers['content-length'] = String(fs.statSync(body).size)
    res.writeHead(200, headers)
    if (req.method === 'HEAD') return res.end()
    fs.createReadStream(body).on('error', () => res.destroy()).pipe(res)
  }
  return [
    { pattern: /^\/(?:index\.html)?$/, handle: ({ req, res }) => serve('index.html', req, res) },
    { pattern: /^\/web\/([\w-]+(?:\.[\w-]+)*\.(?:js|css|map|svg|png))$/, handle: ({ req, res, match }) => serve(match[1]!, req, res) },
  ]
}
