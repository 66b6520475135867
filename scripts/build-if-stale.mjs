#!/usr/bin/env node
/**
 * `npm start`'s prestart: builds dist/ with tsc only when a source is newer
 * than the last build (dist/cli/main.js; tsc writes every output each time),
 * so starting a server does not cost a compile when nothing changed.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const built = path.join(ROOT, 'dist', 'cli', 'main.js')

function newest(p) {
  const st = fs.statSync(p)
  if (!st.isDirectory()) return st.mtimeMs
  let m = st.mtimeMs // a deleted source changes its folder's time
  for (const e of fs.readdirSync(p)) m = Math.max(m, newest(path.join(p, e)))
  return m
}

const sources = Math.max(newest(path.join(ROOT, 'src')), newest(path.join(ROOT, 'tsconfig.json')), newest(path.join(ROOT, 'package.json')))
const output = fs.existsSync(built) ? fs.statSync(built).mtimeMs : -1
if (output >= sources) {
  if (process.argv.includes('--verbose')) process.stdout.write('dist/ is current: not rebuilding\n')
  process.exit(0)
}
process.stdout.write(output < 0 ? 'building dist/ (first start)\n' : 'sources changed since the last build: building dist/\n')
const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'inherit' })
process.exit(tsc.status ?? 1)
