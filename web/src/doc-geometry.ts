/**
 * Meshes and rigs drawn from the geometry the live doc carries, read as
 * docs/geometry-format.md ("In the doc") tells any Yjs client to: the object's
 * `data` id → root map `data` → the block's `kind` and `geometry` reference
 * `{ hash, size, chunks }` → chunks `<hash>/<i>` in root map `geometry`,
 * concatenated, size and SHA-256 checked, then decoded. A value still
 * arriving (chunks missing) or failing a check leaves the stand-in box or
 * marker in place; when its chunks complete, the objects that show it are
 * drawn again. Decoded values are kept by hash: linked duplicates and
 * repeated versions decode once.
 *
 * A server whose scene model has no data blocks yet sends none of this, and
 * every object keeps its stand-in.
 */
import { digest } from 'lib0/hash/sha256'
import * as THREE from 'three'
import * as Y from 'yjs'
import { decodeGeometry, type MeshGeometry, type RigGeometry } from './geometry-decode.js'
import { type Visual, bonesVisual, meshVisual, COLORS } from './gizmos.js'
import { posedLines, restBones, type RestBone } from './rig.js'
import type { ViewObject, VisualSource } from './scene-graph.js'

interface Ref {
  hash: string
  size: number
  chunks: number
}

type Decoded = { mesh: THREE.BufferGeometry; info: MeshGeometry } | { rig: RestBone[]; info: RigGeometry } | { error: string }

function refOf(v: unknown): Ref | null {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array || v instanceof Y.AbstractType) return null
  const o = v as Record<string, unknown>
  if (typeof o.hash !== 'string' || !/^[0-9a-f]{64}$/.test(o.hash)) return null
  if (!Number.isInteger(o.size) || !Number.isInteger(o.chunks) || (o.chunks as number) < 1) return null
  return { hash: o.hash, size: o.size as number, chunks: o.chunks as number }
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

export class DocGeometry implements VisualSource {
  private readonly data: Y.Map<unknown>
  private readonly blobs: Y.Map<unknown>
  private readonly decoded = new Map<string, Decoded>()
  /** Problems met, by data id, for the inspector and the test hook. */
  readonly problems = new Map<string, string>()

  constructor(
    doc: Y.Doc,
    /** Called with data ids whose geometry may now be drawable. */
    onChange: (dataIds: Set<string>) => void,
  ) {
    this.data = doc.getMap('data')
    this.blobs = doc.getMap('geometry')
    this.data.observeDeep((events) => {
      const ids = new Set<string>()
      for (const e of events) {
        if (e.target === this.data) for (const k of e.changes.keys.keys()) ids.add(k)
        else if (typeof e.path[0] === 'string') ids.add(e.path[0])
      }
      if (ids.size) onChange(ids)
    })
    this.blobs.observe((e) => {
      const hashes = new Set<string>()
      for (const k of e.changes.keys.keys()) hashes.add(k.slice(0, 64))
      const ids = new Set<string>()
      for (const [id, block] of this.data) {
        const ref = block instanceof Y.Map ? refOf(block.get('geometry')) : null
        if (ref && hashes.has(ref.hash)) ids.add(id)
      }
      if (ids.size) onChange(ids)
    })
  }

  visualFor(o: ViewObject): Promise<Visual | null> | null {
    if (!o.data) return null
    const block = this.data.get(o.data)
    if (!(block instanceof Y.Map)) return null
    const ref = refOf(block.get('geometry'))
    if (!ref) return null
    const d = this.decode(o.data, ref)
    if (!d || 'error' in d) return null
    if ('mesh' in d) return Promise.resolve(meshVisual(d.mesh))
    return Promise.resolve(rigVisual(d.rig, o))
  }

  /** Assembles, checks and decodes a value once; null while its chunks are still arriving. */
  private decode(dataId: string, ref: Ref): Decoded | null {
    const known = this.decoded.get(ref.hash)
    if (known) {
      if ('error' in known) this.problems.set(dataId, known.error)
      return known
    }
    const parts: Uint8Array[] = []
    let total = 0
    for (let i = 0; i < ref.chunks; i++) {
      const c = this.blobs.get(`${ref.hash}/${i}`)
      if (!(c instanceof Uint8Array)) return null
      parts.push(c)
      total += c.length
    }
    let out: Decoded
    if (total !== ref.size) out = { error: `its chunks hold ${total} bytes, the reference says ${ref.size}` }
    else {
      const bytes = parts.length === 1 ? parts[0]! : concat(parts, total)
      if (hex(digest(bytes)) !== ref.hash) out = { error: 'its chunks do not hash to the name they are stored under' }
      else {
        try {
          const g = decodeGeometry(bytes)
          if (!g) out = { error: 'curves are not drawn yet' }
          else if (g.kind === 'mesh') {
            const geo = new THREE.BufferGeometry().setAttribute('position', new THREE.BufferAttribute(g.positions, 3))
            geo.computeVertexNormals()
            out = { mesh: geo, info: g }
          } else out = { rig: restBones(g), info: g }
        } catch (e) {
          out = { error: (e as Error).message }
        }
      }
    }
    this.decoded.set(ref.hash, out)
    if ('error' in out) this.problems.set(dataId, out.error)
    else this.problems.delete(dataId)
    return out
  }

  /** What the page knows of an object's data block, for the inspector. */
  describe(dataId: string): string | null {
    const block = this.data.get(dataId)
    if (!(block instanceof Y.Map)) return null
    const kind = typeof block.get('kind') === 'string' ? (block.get('kind') as string) : 'data'
    const ref = refOf(block.get('geometry'))
    const problem = this.problems.get(dataId)
    if (problem) return `${kind.toLowerCase()}: not drawn, ${problem}`
    const d = ref ? this.decoded.get(ref.hash) : undefined
    if (d && 'info' in d) return d.info.kind === 'mesh' ? `mesh: ${d.info.vertices} vertices, ${d.info.faces} faces` : `armature: ${d.info.bones.length} bones`
    return ref ? `${kind.toLowerCase()}: geometry arriving` : kind.toLowerCase()
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Bones as lines, posed by the object's pose, redrawn whenever the pose changes. */
function rigVisual(bones: RestBone[], o: ViewObject): Visual {
  const first = posedLines(bones, o.pose)
  const v = bonesVisual(first.points, first.bounds.isEmpty() ? new THREE.Box3(new THREE.Vector3(-0.1, 0, -0.1), new THREE.Vector3(0.1, 1, 0.1)) : first.bounds)
  v.refresh = (next) => {
    const p = posedLines(bones, next.pose)
    return { lines: new Float32Array(p.points), color: new THREE.Color(COLORS.bone), solid: null }
  }
  return v
}
