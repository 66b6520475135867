#!/usr/bin/env node
/**
 * `npm start`'s prestart: runs `npm run build` (tsc, then the web view) only
 * when a source is newer than the last build's outputs (dist/cli/main.js and
 * dist/web/app.js: each build writes them anew), so starting a server does not
 * cost a compile when nothing changed.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const built = [path.join(ROOT, 'dist', 'cli', 'main.js'), path.join(ROOT, 'dist', 'web', 'app.js')]

function newest(p) {
  const st = fs.statSync(p)
  if (!st.isDirectory()) return st.mtimeMs
  let m = st.mtimeMs // a deleted source changes its folder's time
  for (const e of fs.readdirSync(p)) m = Math.max(m, newest(path.join(p, e)))
  return m
}

const inputs = ['src', 'web', 'tsconfig.json', 'package.json'].map((p) => path.join(ROOT, p)).filter((p) => fs.existsSync(p))
const sources = Math.max(...inputs.map(newest))
const output = Math.min(...built.map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : -1)))
if (output >= sources) {
  if (process.argv.includes('--verbose')) process.stdout.write('dist/ is current: not rebuilding\n')
  process.exit(0)
}
process.stdout.write(output < 0 ? 'building dist/ (first start)\n' : 'sources changed since the last build: building dist/\n')
const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' })
process.exit(build.status ?? 1)
