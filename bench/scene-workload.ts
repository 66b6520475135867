/**
 * The editing workload of the core benchmark: N editors (real Y.Docs), each
 * working on its own share of the scene's objects, half of the transform
 * updates from single-object drags (a smooth path, one object per update) and
 * half from multi-object moves (2–6 selected objects moved in one update).
 * Editors keep to their own objects, as people mostly do, so generating a
 * million real Yjs updates does not cost replicating each into every editor.
 */
import * as Y from 'yjs'
import { IDENTITY_XFORM, SceneDoc, type Xform } from '../src/crdt/index.js'
import { rng } from './stats.js'

export interface WorkloadUpdate {
  editor: number
  client: number
  update: Uint8Array
  /** Object transforms this update changes. */
  transforms: number
}

export interface Workload {
  /** The updates that create the objects (not counted as transform updates). */
  setup: WorkloadUpdate[]
  updates: WorkloadUpdate[]
  objectIds: string[]
  transformUpdates: number
}

function uuid(r: () => number): string {
  const h = () => Math.floor(r() * 0x10000).toString(16).padStart(4, '0')
  return `${h()}${h()}-${h()}-4${h().slice(1)}-a${h().slice(1)}-${h()}${h()}${h()}`
}

/**
 * Edits are written as the agent writes them: only the channel that changed
 * (location), stamped with an edit time (src/crdt/xform-merge.ts), one editor
 * step every 16 ms. `stamped: false` writes values without times, as before
 * times existed, to measure what they cost.
 */
export function makeWorkload(opts: { objects: number; transformUpdates: number; editors: number; seed?: number; stamped?: boolean }): Workload {
  const r = rng(opts.seed ?? 42)
  const editors = Array.from({ length: opts.editors }, (_, i) => {
    const doc = new Y.Doc()
    doc.clientID = 0x1000 + i
    return new SceneDoc(doc)
  })
  let current: WorkloadUpdate[] = []
  let editing = 0
  editors.forEach((s, i) =>
    s.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin !== 'sync') current.push({ editor: i, client: s.doc.clientID, update: u, transforms: editing })
    }),
  )
  const stamped = opts.stamped ?? true
  let clock = 1_767_225_600_000
  const write = (scene: SceneDoc, id: string, x: Xform, full = false) =>
    stamped ? scene.writeXformChannels(id, x, full ? { time: clock } : { channels: ['location'], time: clock }) : scene.setXform(id, x)
  const objectIds = Array.from({ length: opts.objects }, () => uuid(r))
  const xforms = new Map<string, Xform>()
  // Each editor creates its own objects; then everyone learns of all of them.
  objectIds.forEach((id, i) => {
    const e = editors[i % editors.length]!
    const x: Xform = { ...IDENTITY_XFORM, location: [r() * 20 - 10, r() * 20 - 10, 0] }
    xforms.set(id, x)
    e.upsertObject(id, { name: `Proxy.${String(i).padStart(4, '0')}`, type: i % 50 === 0 ? 'ARMATURE' : 'EMPTY' })
    write(e, id, x, true)
  })
  const setup = current
  current = []
  for (const a of editors) for (const b of editors) if (a !== b) Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)), 'sync')
  const own = editors.map((_, e) => objectIds.filter((_, i) => i % editors.length === e))

  const updates: WorkloadUpdate[] = []
  let transforms = 0
  const half = opts.transformUpdates / 2
  let singles = 0
  let multis = 0
  // Each editor's current drag: which object, and how many steps it has left.
  const drags = editors.map(() => ({ id: '', left: 0, v: [0, 0, 0] as number[] }))
  while (transforms < opts.transformUpdates) {
    clock += 16
    const e = Math.floor(r() * editors.length)
    const scene = editors[e]!
    const mine = own[e]!
    const single = singles < half && (multis >= half || r() < 0.5)
    if (single) {
      const d = drags[e]!
      if (d.left === 0) {
        d.id = mine[Math.floor(r() * mine.length)]!
        d.left = 20 + Math.floor(r() * 100)
        d.v = [r() - 0.5, r() - 0.5, (r() - 0.5) * 0.2].map((v) => v * 0.05)
      }
      const x = xforms.get(d.id)!
      const next: Xform = { ...x, location: [x.location[0] + d.v[0]!, x.location[1] + d.v[1]!, x.location[2] + d.v[2]!] }
      xforms.set(d.id, next)
      editing = 1
      write(scene, d.id, next)
      d.left--
      singles++
      transforms++
    } else {
      const k = Math.min(opts.transformUpdates - transforms, 2 + Math.floor(r() * 5))
      const picked = new Set<string>()
      while (picked.size < Math.min(k, mine.length)) picked.add(mine[Math.floor(r() * mine.length)]!)
      const delta = [r() - 0.5, r() - 0.5, 0].map((v) => v * 0.1)
      editing = picked.size
      scene.transact(() => {
        for (const id of picked) {
          const x = xforms.get(id)!
          const next: Xform = { ...x, location: [x.location[0] + delta[0]!, x.location[1] + delta[1]!, x.location[2]] }
          xforms.set(id, next)
          write(scene, id, next)
        }
      })
      multis += picked.size
      transforms += picked.size
    }
    updates.push(...current)
    current = []
  }
  return { setup, updates, objectIds, transformUpdates: transforms }
}
