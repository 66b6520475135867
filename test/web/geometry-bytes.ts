/**
 * Values in the geometry encoding, version 1, written straight from the
 * tables of docs/geometry-format.md, and stored in a doc the way the document
 * says ("In the doc"): what any client that follows the document would do.
 */
import crypto from 'node:crypto'
import * as Y from 'yjs'

function section(tag: string, payload: Uint8Array): Uint8Array {
  const pad = (4 - (payload.length % 4)) % 4
  const out = new Uint8Array(8 + payload.length + pad)
  out.set(Buffer.from(tag, 'ascii'), 0)
  new DataView(out.buffer).setUint32(4, payload.length, true)
  out.set(payload, 8)
  return out
}

function container(kind: number, sections: Uint8Array[], version = 1): Uint8Array {
  const head = new Uint8Array(12)
  head.set(Buffer.from('SGEO', 'ascii'), 0)
  const dv = new DataView(head.buffer)
  dv.setUint16(4, version, true)
  dv.setUint16(6, kind, true)
  dv.setUint32(8, sections.length, true)
  // A plain Uint8Array: Yjs stores binary values only of that exact type, not Node's Buffer.
  return new Uint8Array(Buffer.concat([head, ...sections]))
}

const u32 = (a: number[]) => new Uint8Array(new Uint32Array(a).buffer)
const i32 = (a: number[]) => new Uint8Array(new Int32Array(a).buffer)
const f32 = (a: number[]) => new Uint8Array(new Float32Array(a).buffer)

export interface MeshSpec {
  vertices: number[][]
  faces: number[][]
}

/** A mesh value: positions, its edges derived from the faces, loops, faces. */
export function meshBytes(m: MeshSpec, opts: { version?: number; truncate?: number } = {}): Uint8Array {
  const edges: Array<[number, number]> = []
  const edgeOf = new Map<string, number>()
  const loopsV: number[] = []
  const loopsE: number[] = []
  const starts: number[] = []
  for (const f of m.faces) {
    starts.push(loopsV.length)
    f.forEach((v, i) => {
      const w = f[(i + 1) % f.length]!
      const key = v < w ? `${v}-${w}` : `${w}-${v}`
      let e = edgeOf.get(key)
      if (e === undefined) {
        edgeOf.set(key, (e = edges.length))
        edges.push([Math.min(v, w), Math.max(v, w)])
      }
      loopsV.push(v)
      loopsE.push(e)
    })
  }
  const V = m.vertices.length
  const bytes = container(1, [
    section('MESH', u32([V, edges.length, loopsV.length, m.faces.length, 0, 0, 0])),
    section('VPOS', f32(m.vertices.flat())),
    section('EDGE', u32(edges.flat())),
    section('LVRT', u32(loopsV)),
    section('LEDG', u32(loopsE)),
    section('FSTA', u32(starts)),
    section('FSIZ', u32(m.faces.map((f) => f.length))),
  ], opts.version ?? 1)
  return opts.truncate ? bytes.slice(0, bytes.length - opts.truncate) : bytes
}

export interface BoneSpec {
  name: string
  parent: number
  head: number[]
  tail: number[]
  roll?: number
}

export function rigBytes(bones: BoneSpec[]): Uint8Array {
  const names = Buffer.concat(bones.map((b) => {
    const n = Buffer.from(b.name, 'utf8')
    return Buffer.concat([u32([n.length]), n])
  }))
  return container(2, [
    section('ARMT', u32([bones.length])),
    section('BNAM', names),
    section('BPAR', i32(bones.map((b) => b.parent))),
    section('BHED', f32(bones.flatMap((b) => b.head))),
    section('BTAL', f32(bones.flatMap((b) => b.tail))),
    section('BROL', f32(bones.map((b) => b.roll ?? 0))),
    section('BFLG', new Uint8Array(bones.map(() => 2))),
  ])
}

export const CUBE: MeshSpec = {
  vertices: [[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1], [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]],
  faces: [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]],
}

/**
 * Stores a value as the document says: chunks `<sha256>/<i>` in root map
 * `geometry`, each in its own transaction, then the data block (kind, name,
 * geometry reference) in root map `data`.
 */
export function storeGeometry(doc: Y.Doc, dataId: string, kind: string, name: string, bytes: Uint8Array, chunkBytes = 1 << 20): void {
  const hash = crypto.createHash('sha256').update(bytes).digest('hex')
  const blobs = doc.getMap('geometry')
  const chunks = Math.max(1, Math.ceil(bytes.length / chunkBytes))
  for (let i = 0; i < chunks; i++) doc.transact(() => blobs.set(`${hash}/${i}`, new Uint8Array(bytes.slice(i * chunkBytes, (i + 1) * chunkBytes))))
  doc.transact(() => {
    const block = new Y.Map<unknown>()
    block.set('kind', kind)
    block.set('name', name)
    block.set('geometry', { hash, size: bytes.length, chunks })
    doc.getMap('data').set(dataId, block)
  })
}

/** Points an object at a data block, as the scene model's `data` key does. */
export function linkData(doc: Y.Doc, objectId: string, dataId: string): void {
  ;(doc.getMap('objects').get(objectId) as Y.Map<unknown>).set('data', dataId)
}
