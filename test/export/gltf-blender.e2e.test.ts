/**
 * A glTF export imported by real Blender (Debian's `blender -b`) with its own
 * glTF importer: at every recorded sample time, and between samples, each
 * imported object's local transform is the one the log recorded (`[H1]`),
 * after the importer's Y-up → Z-up conversion, with the recorded rotation
 * turned into a quaternion by Blender's mathutils, whatever its mode.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Xform } from '../../src/crdt/index.js'
import { memorySink } from '../../src/export/byte-sink.js'
import { exportRange } from '../../src/export/export-range.js'
import type { GeometrySource } from '../../src/export/geometry-source.js'
import { findBlender } from '../e2e/blender-harness.js'
import { IDS, ROOM, type Recording, record } from '../helpers/recording.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const BLENDER = findBlender()
const REQUIRED = process.env.SCENESYNC_REQUIRE_BLENDER === '1'
const SKIP = !BLENDER && !REQUIRED
if (SKIP) process.stderr.write('skipping the Blender glTF import test: no blender on PATH (SCENESYNC_REQUIRE_BLENDER=1 makes this a failure)\n')

const SCRIPT = path.join(import.meta.dirname, 'import_gltf.py')
const FPS = 25 // 1.25 s is frame 31.25: probes land on subframes too

interface Probe {
  key: string
  id: string
  bone: string | null
  t: number
  mode: string
  rotation: number[]
  location: number[]
  scale: number[]
}

interface Imported {
  probes: Array<{ key: string; location: number[]; scale: number[]; rotation_error: number }>
  objects: Record<string, { name: string; type: string; parent: string | null; vertices: number[][] | null; interpolations: string[] }>
}

/** Probes at each sample time and halfway to the next, with the value `[H1]` says holds there. */
function probes(rec: Recording, startTime: number): Probe[] {
  const targets: Array<[string, string | null]> = [
    [IDS.suzanne, null],
    [IDS.pivot, null],
    [IDS.hinge, null],
    [IDS.cone, null],
    [IDS.still, null],
    [IDS.rig, 'hand.L'],
    [IDS.rig, 'root'],
  ]
  const out: Probe[] = []
  for (const [id, bone] of targets) {
    const points = (bone === null ? rec.tt.path(ROOM, id) : rec.tt.bonePath(ROOM, id).filter((p) => p.bone === bone)).filter((p) => !p.deleted && p.xform)
    const samples: Array<{ t: number; x: Xform }> = []
    for (const p of points) {
      const t = (p.time - startTime) / 1000
      if (samples.at(-1)?.t === t) samples.pop() // the later entry of one millisecond is the value then
      samples.push({ t, x: p.xform! })
    }
    samples.forEach((s, i) => {
      const next = samples[i + 1]?.t ?? s.t + 0.3
      for (const t of [s.t, (s.t + next) / 2]) {
        out.push({ key: `${id}/${bone ?? ''}@${t}`, id, bone, t, mode: s.x.mode, rotation: s.x.rotation, location: s.x.location, scale: s.x.scale })
      }
    })
  }
  return out
}

describe('glTF export imported by Blender', () => {
  let rec: Recording
  let dir: string

  beforeAll(async () => {
    rec = await record()
    dir = tmpDir()
  })
  afterAll(async () => {
    await rec.close()
    rmTmp(dir)
  })

  it.skipIf(SKIP)('[H1] Blender\'s glTF importer gives every object and bone the recorded transform at every sample time and in between, meshes and hierarchy included', async () => {
    if (!BLENDER) throw new Error('SCENESYNC_REQUIRE_BLENDER=1 but no blender on PATH')
    const tetra = { positions: new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]), indices: new Uint32Array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]) }
    const geometry: GeometrySource = { meshAt: (id) => (id === IDS.suzanne ? tetra : null) }
    const sink = memorySink()
    const summary = await exportRange(rec.tt, { room: ROOM, format: 'gltf', geometry }, sink)
    const glb = path.join(dir, 'studio.glb')
    fs.writeFileSync(glb, sink.bytes())
    const want = probes(rec, summary.startTime)
    fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(want))
    const out = path.join(dir, 'imported.json')
    execFileSync(BLENDER, ['-b', '--factory-startup', '-noaudio', '--python-exit-code', '1', '--python', SCRIPT, '--', glb, path.join(dir, 'expected.json'), out, String(FPS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    })
    const got = JSON.parse(fs.readFileSync(out, 'utf8')) as Imported
    expect(got.probes).toHaveLength(want.length)
    for (const [i, p] of got.probes.entries()) {
      const w = want[i]!
      expect(p.key).toBe(w.key)
      p.location.forEach((v, j) => expect(v, `${p.key} location`).toBeCloseTo(w.location[j]!, 5))
      p.scale.forEach((v, j) => expect(v, `${p.key} scale`).toBeCloseTo(w.scale[j]!, 5))
      expect(p.rotation_error, `${p.key} rotation`).toBeLessThan(1e-5)
    }
    const obj = (id: string, bone = '') => got.objects[`${id}/${bone}`]!
    expect(obj(IDS.hinge).parent).toBe(IDS.pivot)
    expect(obj(IDS.cone).parent).toBe(IDS.suzanne)
    expect(obj(IDS.rig, 'hand.L').parent).toBe(IDS.rig)
    expect(obj(IDS.suzanne).interpolations).toEqual(['CONSTANT'])
    // The importer turns the Y-up positions back into the Z-up ones the source gave.
    expect(obj(IDS.suzanne).vertices!.map((v) => v.map((c) => c + 0))).toEqual([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    expect(obj(IDS.still).type).toBe('EMPTY')
  }, 180_000)
})
