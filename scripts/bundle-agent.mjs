#!/usr/bin/env node
/**
 * Bundles the agent (src/cli/agent-main.ts and everything it imports: yjs,
 * y-websocket, ws, pino, ...) into one JavaScript file for the Blender add-on
 * to carry, so an artist's machine needs Node.js and nothing else.
 *
 *   node scripts/bundle-agent.mjs [--out dist/addon/scenesync-agent.mjs]
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const i = process.argv.indexOf('--out')
const out = path.resolve(i > 0 ? process.argv[i + 1] : path.join(ROOT, 'dist', 'addon', 'scenesync-agent.mjs'))

const result = await build({
  entryPoints: [path.join(ROOT, 'src', 'cli', 'agent-main.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  // The add-on checks for Node 20 before it starts the agent.
  target: 'node20',
  format: 'esm',
  minify: true,
  legalComments: 'eof',
  // ws's optional native speed-ups: it falls back to JavaScript without them.
  external: ['bufferutil', 'utf-8-validate'],
  // Bundled CommonJS (pino, ws) calls require(); give the ES module one.
  banner: { js: "import { createRequire as __scenesyncRequire } from 'node:module'; const require = __scenesyncRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
})
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
process.stdout.write(`wrote ${out} (${Math.round(bytes / 1024)} KiB)\n`)
