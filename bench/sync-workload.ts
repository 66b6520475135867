/**
 * The editing workload of the sync benchmark: one editor per client, each with
 * its own Y.Doc and its own share of the room's objects (people mostly move
 * their own selection). Every edit is ONE Yjs update (one transaction): half
 * of them steps of a single-object drag along a smooth path, half
 * multi-object moves (2–6 of the editor's objects moved together in one
 * transaction). Random choices come from a seeded PRNG, so every run and both
 * servers get the same edits.
 */
import * as Y from 'yjs'
import { SceneDoc, type Xform } from '../src/crdt/index.js'
import { rng } from './stats.js'

function objectId(r: () => number): string {
  const h = () =>
    Math.floor(r() * 0x10000)
      .toString(16)
      .padStart(4, '0')
  return `${h()}${h()}-${h()}-4${h().slice(1)}-a${h().slice(1)}-${h()}${h()}${h()}`
}

export class Editor {
  readonly scene: SceneDoc
  readonly ids: string[]
  private readonly r: () => number
  private readonly xforms = new Map<string, Xform>()
  private drag = { id: '', left: 0, v: [0, 0, 0] }

  /** `clientId` fixes the Yjs client id so both servers see the same updates. */
  constructor(
    readonly index: number,
    objects: number,
    seed: number,
    doc: Y.Doc = new Y.Doc(),
    clientId = 0x5000 + index,
  ) {
    doc.clientID = clientId
    this.scene = new SceneDoc(doc)
    this.r = rng(seed * 7919 + index)
    this.ids = Array.from({ length: objects }, () => objectId(this.r))
  }

  get doc(): Y.Doc {
    return this.scene.doc
  }

  /** Creates this editor's objects (one transaction). */
  create(): void {
    this.scene.transact(() => {
      this.ids.forEach((id, i) => {
        const x: Xform = { mode: 'XYZ', location: [this.r() * 20 - 10, this.r() * 20 - 10, 0], rotation: [0, 0, 0], scale: [1, 1, 1] }
        this.xforms.set(id, x)
        this.scene.upsertObject(id, { name: `E${this.index}.${String(i).padStart(3, '0')}`, type: 'EMPTY', xform: x })
      })
    })
  }

  /** One edit, one transaction; returns how many objects it moved. */
  edit(): number {
    const r = this.r
    if (r() < 0.5) {
      const d = this.drag
      if (d.left === 0) {
        d.id = this.ids[Math.floor(r() * this.ids.length)]!
        d.left = 20 + Math.floor(r() * 100)
        d.v = [r() - 0.5, r() - 0.5, (r() - 0.5) * 0.2].map((v) => v * 0.05)
      }
      d.left--
      this.move(d.id, d.v)
      return 1
    }
    const k = Math.min(this.ids.length, 2 + Math.floor(r() * 5))
    const picked = new Set<string>()
    while (picked.size < k) picked.add(this.ids[Math.floor(r() * this.ids.length)]!)
    const delta = [r() - 0.5, r() - 0.5, 0].map((v) => v * 0.1)
    this.scene.transact(() => {
      for (const id of picked) this.move(id, delta)
    })
    return picked.size
  }

  private move(id: string, v: number[]): void {
    const x = this.xforms.get(id)!
    const next: Xform = { ...x, location: [x.location[0] + v[0]!, x.location[1] + v[1]!, x.location[2] + v[2]!] }
    this.xforms.set(id, next)
    this.scene.setXform(id, next)
  }
}

/** Reads the first struct group's (client, clock) of a Yjs v1 update; null for an update with no structs. */
export function firstStruct(u: Uint8Array, start = 0): { client: number; clock: number } | null {
  let pos = start
  const varUint = (): number => {
    let n = 0
    let mult = 1
    for (;;) {
      if (pos >= u.length) throw new RangeError('truncated varUint')
      const b = u[pos++]!
      n += (b & 0x7f) * mult
      if (b < 0x80) return n
      mult *= 128
    }
  }
  if (varUint() === 0) return null
  varUint() // structs in the group
  const client = varUint()
  const clock = varUint()
  return { client, clock }
}
