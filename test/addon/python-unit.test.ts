/**
 * The add-on's core/ unit tests (plain python3, no Blender): run here so that
 * `npm test` covers them. core/ must import without bpy, which this also checks.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

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

})
