/**
 * The add-on's core/ unit tests (plain python3, no Blender): run here so that
 * `npm test` covers them. core/ must import without bpy, which this also checks.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const ROOT = path.resolve(import.meta.dirname, '..', '..')

describe('Blender add-on core (python3 -m unittest)', () => {
  it('[B1] [B2] [B3] every unit test of blender_addon/scenesync/core passes', () => {
    const r = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'blender_addon/tests', '-v'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
    const out = `${r.stdout}\n${r.stderr}`
    if (r.error) throw new Error(`could not run python3: ${r.error.message}`)
    expect(r.status, out).toBe(0)
    const ran = /Ran (\d+) tests?/.exec(out)
    expect(ran, out).not.toBeNull()
    expect(Number(ran![1])).toBeGreaterThanOrEqual(40)
    expect(out).not.toMatch(/\bskipped\b/)
  })

  it('the add-on zip builds with the package at its top level', () => {
    const dir = tmpDir('scenesync-zip-')
    const out = path.join(dir, 'scenesync-addon.zip')
    const r = spawnSync('python3', [path.join(ROOT, 'blender_addon', 'build_zip.py'), '--out', out], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const list = spawnSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', out], { encoding: 'utf8' })
    const names = list.stdout.trim().split('\n')
    expect(names).toContain('scenesync/__init__.py')
    expect(names).toContain('scenesync/core/session.py')
    expect(names.every((n) => n.startsWith('scenesync/') && n.endsWith('.py'))).toBe(true)
    rmTmp(dir)
  })
})
