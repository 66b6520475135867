/**
 * Builds the web view into dist/web: web/src bundled by esbuild (three.js,
 * Yjs and the stock y-websocket provider included, nothing loaded from a CDN),
 * the page and its stylesheet copied, and gzipped copies the server sends to
 * browsers that accept them. `npm run build` runs this after tsc.
 *
 * Files are written beside the output and renamed into place, so a server
 * reading dist/web never sees a half-written bundle. SCENESYNC_WEB_NO_MINIFY=1
 * keeps names readable, for profiles (`BENCH_WEB_PROFILE=1 npm run bench -- web`).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import zlib from 'node:zlib'
import * as esbuild from 'esbuild'

const here = path.dirname(fileURLToPath(import.meta.url))
export const WEB_OUT = path.join(here, '..', 'dist', 'web')

export interface WebBuild {
  outdir: string
  /** Bytes of JavaScript the page loads, as built and gzipped. */
  jsBytes: number
  jsGzipBytes: number
}

export async function buildWeb(outdir = WEB_OUT): Promise<WebBuild> {
  fs.mkdirSync(outdir, { recursive: true })
  const stage = fs.mkdtempSync(path.join(outdir, '.build-'))
  try {
    await esbuild.build({
      entryPoints: { app: path.join(here, 'src', 'main.ts') },
      bundle: true,
      minify: !process.env.SCENESYNC_WEB_NO_MINIFY,
      sourcemap: 'linked',
      format: 'esm',
      target: ['chrome110', 'firefox115', 'safari16'],
      outdir: stage,
      logLevel: 'warning',
      // The doc's geometry names are SHA-256: node:crypto on the server, lib0's in the page.
      plugins: [
        {
          name: 'browser-geometry-hash',
          setup(b) {
            b.onResolve({ filter: /\/geometry-hash\.js$/ }, (a) =>
              a.importer.includes(`${path.sep}src${path.sep}crdt${path.sep}`) ? { path: path.join(here, 'src', 'geometry-hash.ts') } : undefined,
            )
          },
        },
      ],
    })
    for (const f of ['index.html', 'style.css']) fs.copyFileSync(path.join(here, f), path.join(stage, f))
    for (const f of ['app.js', 'style.css']) {
      fs.writeFileSync(path.join(stage, f + '.gz'), zlib.gzipSync(fs.readFileSync(path.join(stage, f)), { level: 9 }))
    }
    for (const f of fs.readdirSync(stage)) fs.renameSync(path.join(stage, f), path.join(outdir, f))
  } finally {
    fs.rmSync(stage, { recursive: true, force: true })
  }
  return { outdir, jsBytes: fs.statSync(path.join(outdir, 'app.js')).size, jsGzipBytes: fs.statSync(path.join(outdir, 'app.js.gz')).size }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const b = await buildWeb(process.argv[2] ?? WEB_OUT)
  process.stdout.write(`web view: ${b.outdir} (app.js ${(b.jsBytes / 1024).toFixed(0)} KiB, ${(b.jsGzipBytes / 1024).toFixed(0)} KiB gzipped)\n`)
}
