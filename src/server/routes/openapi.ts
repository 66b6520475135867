/** `GET /openapi.json`: the HTTP API's description (src/server/openapi.ts); no token needed. */
import fs from 'node:fs'
import { openApiDocument } from '../openapi.js'
import type { Route } from './room-route.js'

function packageVersion(): string {
  // src/server/routes/ and dist/server/routes/ both sit three folders below package.json.
  try {
    return (JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version
  } catch {
    return '0.0.0'
  }
}

export function openApiRoute(): Route {
  let text: string | null = null
  return (_req, res, url) => {
    if (url.pathname !== '/openapi.json') return false
    text ??= JSON.stringify(openApiDocument(packageVersion()))
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    res.end(text)
    return true
  }
}
