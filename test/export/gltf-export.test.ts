/**
 * glTF exports of a recorded session: valid by the Khronos validator, and,
 * read back with gltf-transform's reader, the hierarchy at the range's start
 * and one animation whose keys sit at the log's times with the recorded
 * values (`[H1]`), converted to glTF's Y-up axes.
 */
import { type Document, type Node, NodeIO } from '@gltf-transform/core'
import validator from 'gltf-validator'
import * as Y from 'yjs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SceneDoc } from '../../src/crdt/index.js'
import { memorySink } from '../../src/export/byte-sink.js'
import { type ExportRequest, exportRange } from '../../src/export/export-range.js'
import type { GeometrySource } from '../../src/export/geometry-source.js'
import { locationToYUp, quaternionToYUp, scaleToYUp, toQuaternion } from '../../src/export/rotation.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { TimeTravel } from '../../src/projection/time-travel.js'
import { IDS, ROOM, type Recording, T0, record, xf } from '../helpers/recording.js'

export async function exportGltf(tt: TimeTravel, req: Omit<ExportRequest, 'format'>): Promise<Uint8Array> {
  const sink = memorySink()
  await exportRange(tt, { ...req, format: 'gltf' }, sink)
  return sink.bytes()
}

export async function validate(bytes: Uint8Array): Promise<{ numErrors: number; numWarnings: number; messages: unknown[] }> {
  return (await validator.validateBytes(bytes, { maxIssues: 50 })).issues
}

interface Keys {
  times: number[]
  translation: number[][]
  rotation: number[][]
  scale: number[][]
}

/**
 * What `[H1]` says the animation of an object (or bone) holds, from the
 * projection's path: the value at the start, then each entry in the range at
 * its time, the last of several in one millisecond winning.
 */
function expectedKeys(tt: TimeTravel, id: string, bone: string | null, fromSeq: number, toSeq: number, startTime: number): Keys {
  const points = (bone === null ? tt.path(ROOM, id) : tt.bonePath(ROOM, id).filter((p) => p.bone === bone)).filter((p) => !p.deleted && p.xform)
  const before = points.filter((p) => p.seq < fromSeq).at(-1)
  const inside = points.filter((p) => p.seq >= fromSeq && p.seq <= toSeq)
  const series = [...(before ? [{ t: 0, x: before.xform! }] : []), ...inside.map((p) => ({ t: (p.time - startTime) / 1000, x: p.xform! }))]
  const out: Keys = { times: [], translation: [], rotation: [], scale: [] }
  for (const s of series) {
    if (out.times.at(-1) === s.t) for (const k of ['times', 'translation', 'rotation', 'scale'] as const) out[k].pop()
    out.times.push(s.t)
    out.translation.push(locationToYUp(s.x.location))
    out.rotation.push(quaternionToYUp(toQuaternion(s.x)))
    out.scale.push(scaleToYUp(s.x.scale))
  }
  return out
}

function byExtras(doc: Document, id: string, bone: string | null = null): Node {
  const n = doc
    .getRoot()
    .listNodes()
    .find((n) => n.getExtras().scenesync_object_id === id && (n.getExtras().scenesync_bone ?? null) === bone)
  if (!n) throw new Error(`no node for ${id} ${bone ?? ''}`)
  return n
}

function channels(doc: Document, node: Node): Record<string, { times: number[]; values: number[][]; interpolation: string }> {
  const out: Record<string, { times: number[]; values: number[][]; interpolation: string }> = {}
  for (const anim of doc.getRoot().listAnimations()) {
    for (const ch of anim.listChannels()) {
      if (ch.getTargetNode() !== node) continue
      const s = ch.getSampler()!
      const k = ch.getTargetPath() === 'rotation' ? 4 : 3
      const v = [...s.getOutput()!.getArray()!]
      out[ch.getTargetPath()!] = { times: [...s.getInput()!.getArray()!], values: Array.from({ length: v.length / k }, (_, i) => v.slice(i * k, i * k + k)), interpolation: s.getInterpolation() }
    }
  }
  return out
}

const near = (a: number[][], b: number[][]) => {
  expect(a.length).toBe(b.length)
  a.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(b[i]![j]!, 5)))
}

describe('glTF export', () => {
  let rec: Recording

  beforeAll(async () => {
    rec = await record()
  })
  afterAll(() => rec.close())

  it('[H1] the whole history passes the Khronos glTF validator with zero errors and zero warnings', async () => {
    const issues = await validate(await exportGltf(rec.tt, { room: ROOM }))
    expect(issues.messages).toEqual([])
    expect(issues.numErrors).toBe(0)
  })

  it('[H1] nodes have the hierarchy and transforms at the start; bones are child nodes of their armature', async () => {
    const from = rec.seqOf.rotate!
    const doc = await new NodeIO().readBinary(await exportGltf(rec.tt, { room: ROOM, from: { seq: from } }))
    const scene = doc.getRoot().getDefaultScene()!
    expect(scene.getName()).toBe(ROOM)
    const roots = scene.listChildren().map((n) => n.getName()).sort()
    expect(roots).toEqual(['Pivot', 'Rig', 'Still', 'Suzanne', 'Twin', 'Twin'])
    expect(byExtras(doc, IDS.pivot).listChildren().map((n) => n.getName())).toEqual(['Hinge'])
    // Created inside the range: as created, under its parent then.
    expect(byExtras(doc, IDS.suzanne).listChildren().map((n) => n.getName())).toEqual(['Cone'])
    expect(byExtras(doc, IDS.rig).listChildren().map((n) => n.getName()).sort()).toEqual(['hand.L', 'root'])
    // Still never moves: its node holds its transform and no channel targets it.
    const still = byExtras(doc, IDS.still)
    near([still.getTranslation(), still.getScale(), still.getRotation()], [locationToYUp([5, 5, 0]), scaleToYUp([2, 2, 2]), quaternionToYUp(toQuaternion(xf('XYZ', [0, 0, 0], [0, 0, 0.7])))])
    expect(channels(doc, still)).toEqual({})
    // Suzanne at the start of the range is as the entry before it left it.
    near([byExtras(doc, IDS.suzanne).getTranslation()], [locationToYUp([2, 2, 3])])
  })

  for (const [label, fromLabel, toLabel] of [
    ['the whole history', null, null],
    ['a range from a moment with objects already in it', 'rotate', 'rename'],
  ] as const) {
    it(`[H1] keys sit at the log's times with the recorded values (${label})`, async () => {
      const from = fromLabel ? rec.seqOf[fromLabel]! : 0
      const to = toLabel ? rec.seqOf[toLabel]! : rec.tt.head()
      const span = rec.tt.entrySpan(ROOM, { seq: from }, { seq: to })
      const doc = await new NodeIO().readBinary(await exportGltf(rec.tt, { room: ROOM, from: { seq: from }, to: { seq: to } }))
      const targets: Array<[string, string | null]> = [
        [IDS.suzanne, null],
        [IDS.pivot, null],
        [IDS.hinge, null],
        [IDS.cone, null],
        [IDS.rig, 'hand.L'],
        [IDS.rig, 'root'],
      ]
      let checked = 0
      for (const [id, bone] of targets) {
        const want = expectedKeys(rec.tt, id, bone, from, to, span.first!.time)
        const got = channels(doc, byExtras(doc, id, bone))
        for (const path of ['translation', 'rotation', 'scale'] as const) {
          const values = want[path]
          const moves = values.some((v) => v.some((c, j) => c !== values[0]![j]))
          if (!moves) {
            expect(got[path], `${id} ${bone} ${path} does not move`).toBeUndefined()
            continue
          }
          checked++
          expect(got[path]!.interpolation).toBe('STEP')
          near([got[path]!.times], [want.times])
          near(got[path]!.values, values)
        }
      }
      expect(checked).toBeGreaterThanOrEqual(from === 0 ? 8 : 5)
    })
  }

  it('[H1] at a fixed rate each key holds the latest sample at or before its time, and LINEAR is written when asked', async () => {
    const bytes = await exportGltf(rec.tt, { room: ROOM, fps: 4, interpolation: 'LINEAR' })
    expect((await validate(bytes)).messages).toEqual([])
    const doc = await new NodeIO().readBinary(bytes)
    const t = channels(doc, byExtras(doc, IDS.suzanne)).translation!
    expect(t.interpolation).toBe('LINEAR')
    expect(t.times).toEqual(Array.from({ length: 21 }, (_, k) => k / 4))
    // Suzanne: x = 1 from 0 s, 2 from 0.5 s, 2.5 from 1 s (the later of two entries), 3 from 5 s.
    expect(t.values.map((v) => v[0])).toEqual([1, 1, 2, 2, ...Array(16).fill(2.5), 3])
    // Cone appears at 2.5 s: no keys before it.
    expect(channels(doc, byExtras(doc, IDS.cone)).translation!.times[0]).toBe(2.5)
  })

  it('meshes come from a geometry source when there is one (Y-up positions), shared data shares one mesh', async () => {
    const tetra = { positions: new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]), indices: new Uint32Array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]), name: 'Tetra' }
    const geometry: GeometrySource = { meshAt: (id) => (id === IDS.suzanne || id === IDS.cone ? tetra : null) }
    const sink = memorySink()
    await exportRange(rec.tt, { room: ROOM, format: 'gltf', geometry }, sink)
    expect((await validate(sink.bytes())).numErrors).toBe(0)
    const doc = await new NodeIO().readBinary(sink.bytes())
    const mesh = byExtras(doc, IDS.suzanne).getMesh()!
    expect(byExtras(doc, IDS.cone).getMesh()).toBe(mesh)
    expect(byExtras(doc, IDS.still).getMesh()).toBeNull()
    expect([...mesh.listPrimitives()[0]!.getAttribute('POSITION')!.getArray()!]).toEqual([0, 0, 0, 1, 0, 0, 0, 0, -1, 0, 1, 0])
  })

  it('an empty range is still a valid file (the scene as it was, no animation)', async () => {
    const bytes = await exportGltf(rec.tt, { room: ROOM, from: { seq: rec.tt.head() + 1 } })
    expect((await validate(bytes)).messages).toEqual([])
    const doc = await new NodeIO().readBinary(bytes)
    expect(doc.getRoot().listAnimations()).toHaveLength(0)
    expect(doc.getRoot().listNodes().length).toBeGreaterThan(5)
  })

  it('a parent cycle from concurrent reparenting is cut, so the file stays a tree', async () => {
    const log = new SqliteEventLog(':memory:', { durability: 'normal' })
    const db = openDatabase(':memory:')
    try {
      // Two people reparent at once: A under B on one side, B under A on the other.
      const [a, b] = [new SceneDoc(new Y.Doc()), new SceneDoc(new Y.Doc())]
      const ups: Uint8Array[] = []
      a.doc.on('update', (u: Uint8Array) => ups.push(u))
      a.upsertObject('A', { name: 'A', type: 'EMPTY', xform: xf('XYZ', [1, 0, 0], [0, 0, 0]) })
      a.upsertObject('B', { name: 'B', type: 'EMPTY', xform: xf('XYZ', [0, 1, 0], [0, 0, 0]) })
      Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc))
      a.setParent('A', 'B')
      b.setParent('B', 'A')
      Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc))
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(T0)
      for (const u of ups) await log.append('loop', [{ update: u, origin: { client: 1, user: 'a' } }])
      vi.useRealTimers()
      const projector = new Projector(log, db)
      await projector.catchUp()
      await projector.stop()
      const tt = new TimeTravel(db)
      expect(tt.sceneAt('loop').map((o) => o.parent)).toEqual(['B', 'A'])
      // From a moment after both reparentings, so the nodes start in the cycle.
      const bytes = await exportGltf(tt, { room: 'loop', from: { seq: tt.head() + 1 } })
      expect((await validate(bytes)).messages).toEqual([])
      const doc = await new NodeIO().readBinary(bytes)
      expect(doc.getRoot().getDefaultScene()!.listChildren().map((n) => n.getName())).toEqual(['A'])
      expect(byExtras(doc, 'A').listChildren().map((n) => n.getName())).toEqual(['B'])
    } finally {
      vi.useRealTimers()
      db.close()
      await log.close()
    }
  })
})
