/**
 * The package as people install it: `npm pack`, unpacked into an empty prefix
 * the way npm installs it (node_modules/scenesync, node_modules/.bin/scenesync),
 * with only its declared runtime dependencies beside it (their closure, taken
 * from this checkout's node_modules, as the registry is not reachable here).
 * No source tree: the command must serve (the web view too), mint tokens and
 * query from dist/.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SceneDoc } from '../../src/crdt/scene-doc.js'
import { waitFor } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const ROOT = path.resolve(import.meta.dirname, '..', '..')
const MODULES = path.join(ROOT, 'node_modules')

/** Every package `name` needs at run time, found in the checkout's (hoisted) node_modules. */
function runtimeClosure(deps: Record<string, string>, optional: Record<string, string> = {}): Set<string> {
  const seen = new Set<string>()
  const visit = (name: string, required: boolean) => {
    if (seen.has(name)) return
    const pj = path.join(MODULES, name, 'package.json')
    if (!fs.existsSync(pj)) {
      if (required) throw new Error(`runtime dependency ${name} is not installed in ${MODULES}`)
      return
    }
    seen.add(name)
    const p = JSON.parse(fs.readFileSync(pj, 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }
    for (const d of Object.keys(p.dependencies ?? {})) visit(d, true)
    for (const d of Object.keys(p.optionalDependencies ?? {})) visit(d, false)
  }
  for (const d of Object.keys(deps)) visit(d, true)
  for (const d of Object.keys(optional)) visit(d, false)
  return seen
}

describe('the installable package', () => {
  let dir: string
  let prefix: string
  let files: string[]
  let bin: string
  const env = () => ({ PATH: `${path.join(prefix, 'node_modules', '.bin')}${path.delimiter}${path.dirname(process.execPath)}`, HOME: dir, SCENESYNC_SECRET: '' })
  const run = (...args: string[]) => {
    const r = spawnSync(bin, args, { cwd: dir, env: env(), encoding: 'utf8', timeout: 60_000 })
    if (r.error) throw r.error
    return r
  }
  let server: ChildProcess | null = null

  beforeAll(() => {
    dir = tmpDir('scenesync-pack-')
    // dist/ as `npm pack` would build it (prepack), without a compile when it is current.
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-if-stale.mjs')], { cwd: ROOT, stdio: 'pipe' })
    const out = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as Array<{ filename: string; files: Array<{ path: string }> }>
    files = out[0]!.files.map((f) => f.path)
    prefix = path.join(dir, 'prefix')
    const pkg = path.join(prefix, 'node_modules', 'scenesync')
    fs.mkdirSync(pkg, { recursive: true })
    execFileSync('tar', ['-xzf', path.join(dir, out[0]!.filename), '-C', pkg, '--strip-components=1'])
    const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; optionalDependencies?: Record<string, string>; bin: Record<string, string> }
    for (const name of runtimeClosure(manifest.dependencies, manifest.optionalDependencies)) {
      const at = path.join(prefix, 'node_modules', name)
      fs.mkdirSync(path.dirname(at), { recursive: true })
      fs.symlinkSync(path.join(MODULES, name), at)
    }
    fs.mkdirSync(path.join(prefix, 'node_modules', '.bin'))
    bin = path.join(prefix, 'node_modules', '.bin', 'scenesync')
    fs.symlinkSync(path.join('..', 'scenesync', manifest.bin.scenesync!), bin)
    fs.chmodSync(path.join(pkg, manifest.bin.scenesync!), 0o755) // as npm does when it links a bin
  }, 180_000)

  afterAll(() => {
    server?.kill('SIGKILL')
    if (dir) rmTmp(dir)
  })

  it('npm pack ships only what runs: dist/*.js, the built web view, package.json and the README', () => {
    expect(files).toContain('dist/cli/main.js')
    expect(files).toContain('package.json')
    expect(files.filter((f) => !f.startsWith('dist/')).sort()).toEqual(['README.md', 'package.json'])
    expect(files).toContain('dist/web/index.html')
    expect(files.filter((f) => f.startsWith('dist/') && !f.endsWith('.js') && !f.startsWith('dist/web/'))).toEqual([])
    expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.d.ts') || f.startsWith('dist/addon/'))).toEqual([])
  })

  it("npm start's prestart does not rebuild a current dist/", () => {
    const pj = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pj.scripts.prestart).toBe('node scripts/build-if-stale.mjs')
    const again = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-if-stale.mjs'), '--verbose'], { cwd: ROOT, encoding: 'utf8' })
    expect(again.status).toBe(0)
    expect(again.stdout).toBe('dist/ is current: not rebuilding\n')
  })

  it('the installed scenesync command serves, mints a token and queries, with no source tree', async () => {
    expect(fs.existsSync(path.join(prefix, 'node_modules', 'scenesync', 'src'))).toBe(false)
    const version = run('--version')
    expect(version.status, version.stderr).toBe(0)
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version)
    const token = run('token', '--room', 'studio', '--role', 'write', '--secret', 's3cret')
    expect(token.status, token.stderr).toBe(0)
    expect(token.stdout.trim().split('.')).toHaveLength(3)

    const data = path.join(dir, 'data')
    server = spawn(bin, ['serve', '--port', '0', '--data', data, '--secret', 's3cret', '--log-level', 'info'], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    server.stderr!.on('data', (d: Buffer) => (log += d.toString()))
    await waitFor(() => /serving ws:\/\/127\.0\.0\.1:\d+/.test(log), 60_000, `the server to listen:\n${log}`)
    const url = /serving (ws:\/\/127\.0\.0\.1:\d+)/.exec(log)![1]!
    const doc = new Y.Doc()
    const p = new WebsocketProvider(url, 'studio', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: token.stdout.trim() } })
    try {
      await waitFor(() => p.synced, 20_000, 'sync')
      new SceneDoc(doc).upsertObject('box-id', { name: 'Box', type: 'MESH', xform: { mode: 'XYZ', location: [1, 2, 3], rotation: [0, 0, 0], scale: [1, 1, 1] } })
      const http = url.replace('ws:', 'http:')
      const page = await fetch(`${http}/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toMatch(/<meta name="scenesync-auth" content="token">/)
      await waitFor(async () => {
        const r = await fetch(`${http}/rooms/studio/scene`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } })
        return r.ok && ((await r.json()) as { objects: unknown[] }).objects.length === 1
      }, 20_000, 'the projection')
    } finally {
      p.destroy()
    }
    const stopped = new Promise((r) => server!.once('exit', r))
    server.kill('SIGTERM')
    await stopped
    server = null
    const q = run('query', 'scene', '--room', 'studio', '--data', data, '--json')
    expect(q.status, q.stderr).toBe(0)
    expect(JSON.parse(q.stdout)).toMatchObject({ objects: [{ id: 'box-id', name: 'Box', xform: { location: [1, 2, 3] } }] })
  }, 180_000)
})
