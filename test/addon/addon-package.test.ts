/**
 * The add-on as people install it: one zip (npm run addon:zip) that Blender
 * 4.2+ takes as an extension (blender_manifest.toml) and 3.4–4.1 as a legacy
 * add-on (bl_info), carrying the agent as one JavaScript file. Installing it
 * in real Blender is test/e2e/blender.e2e.test.ts (Blender A).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const ROOT = path.resolve(import.meta.dirname, '..', '..')
const MANIFEST = path.join(ROOT, 'blender_addon', 'scenesync', 'blender_manifest.toml')

function python(code: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`)
  return r.stdout
}

describe('the add-on package', () => {
  let dir: string
  let zip: string
  beforeAll(() => {
    dir = tmpDir('scenesync-zip-')
    zip = path.join(dir, 'scenesync-addon.zip')
    execFileSync('npm', ['run', '--silent', 'addon:zip', '--', '--out', zip], { cwd: ROOT, stdio: 'pipe' })
  }, 120_000)
  afterAll(() => dir && rmTmp(dir))

  it("blender_manifest.toml parses with Python's tomllib and has every field Blender's extensions platform requires", () => {
    const m = JSON.parse(python('import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))', MANIFEST)) as Record<string, any>
    for (const k of ['schema_version', 'id', 'version', 'name', 'tagline', 'maintainer', 'type', 'blender_version_min', 'license']) expect(m, k).toHaveProperty(k)
    expect(m.schema_version).toBe('1.0.0')
    expect(m.id).toMatch(/^[a-z][a-z0-9_]*$/)
    expect(m.type).toBe('add-on')
    expect(m.blender_version_min).toMatch(/^4\.(2|[3-9])\.\d+$|^[5-9]\.\d+\.\d+$/)
    expect(m.license.length).toBeGreaterThan(0)
    for (const l of m.license) expect(l).toMatch(/^SPDX:[A-Za-z0-9.+-]+$/)
    // Blender refuses a tagline or a permission reason over 64 characters or ending in punctuation.
    const terse = (s: unknown, what: string) => {
      expect(typeof s, what).toBe('string')
      expect((s as string).length, what).toBeLessThanOrEqual(64)
      expect(s, what).not.toMatch(/[.!?,;:]$/)
    }
    terse(m.tagline, 'tagline')
    expect(Object.keys(m.permissions)).toEqual(expect.arrayContaining(['network', 'files']))
    for (const [k, why] of Object.entries(m.permissions)) {
      expect(['files', 'network', 'clipboard', 'camera', 'microphone']).toContain(k)
      terse(why, `permissions.${k}`)
    }
    // One version everywhere: manifest, bl_info (legacy installs) and package.json.
    const blInfo = python('import ast, sys; t = ast.parse(open(sys.argv[1]).read()); print([ast.literal_eval(n.value) for n in t.body if isinstance(n, ast.Assign) and n.targets[0].id == "bl_info"][0]["version"])', path.join(ROOT, 'blender_addon', 'scenesync', '__init__.py'))
    expect(blInfo.trim().replace(/[() ]/g, '').replace(/,/g, '.')).toBe(m.version)
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version).toBe(m.version)
  })

  it('npm run addon:zip builds one zip: the package as its top folder, the manifest, and the agent as one JavaScript file', () => {
    const names = python('import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', zip).trim().split('\n')
    expect(names).toContain('scenesync/__init__.py')
    expect(names).toContain('scenesync/core/session.py')
    expect(names).toContain('scenesync/blender_manifest.toml')
    expect(names).toContain('scenesync/agent/scenesync-agent.mjs')
    expect(names.every((n) => n.startsWith('scenesync/'))).toBe(true)
    expect(names.filter((n) => !n.endsWith('.py'))).toEqual(['scenesync/blender_manifest.toml', 'scenesync/agent/scenesync-agent.mjs'])
    expect(names.some((n) => n.includes('__pycache__') || n.includes('/tests/'))).toBe(false)
  })

  it('the bundled agent runs with node alone, from a folder with no node_modules above it', () => {
    const lone = path.join(dir, 'lone')
    fs.mkdirSync(lone)
    python('import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("scenesync/agent/scenesync-agent.mjs"))', zip, path.join(lone, 'agent.mjs'))
    const help = spawnSync(process.execPath, ['agent.mjs', '--help'], { cwd: lone, encoding: 'utf8', env: { PATH: path.dirname(process.execPath), HOME: lone } })
    expect(help.status, help.stderr).toBe(0)
    expect(help.stdout).toMatch(/^scenesync-agent --url ws:\/\/host:port --room ROOM/)
    // It talks the agent protocol: a status line first, even with nothing listening.
    const run = spawnSync(process.execPath, ['agent.mjs', '--url', 'ws://127.0.0.1:9', '--room', 'r', '--journal-dir', path.join(lone, 'j')], {
      cwd: lone,
      encoding: 'utf8',
      input: '',
      timeout: 20_000,
      env: { PATH: path.dirname(process.execPath), HOME: lone },
    })
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout.split('\n')[0]!)).toEqual({ type: 'status', status: 'connecting' })
  })
})
