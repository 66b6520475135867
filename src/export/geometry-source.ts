/**
 * The seam where meshes enter a glTF export. Without a source every node is
 * an empty (no mesh); log-geometry-source.ts reads a mesh object's geometry
 * as of the range's start from the log, and the export puts it on the node. Two objects that share a data block get the same MeshData object
 * and share one glTF mesh.
 */
import type { Document, Mesh } from '@gltf-transform/core'
import { locationToYUp } from './rotation.js'

export interface MeshData {
  /** Vertex positions in the object's local space, Blender's axes: x y z per vertex. */
  positions: Float32Array
  /** Triangles as vertex indices, three per triangle; none: the positions are a triangle list. */
  indices?: Uint32Array
  name?: string
}

export interface GeometrySource {
  /** The mesh `objectId` showed at position `seq`, or null when the log has none for it. */
  meshAt(objectId: string, seq: number): MeshData | null | Promise<MeshData | null>
}

export class MeshCache {
  private readonly made = new Map<MeshData, Mesh>()

  constructor(
    private readonly doc: Document,
    private readonly buffer: ReturnType<Document['createBuffer']>,
  ) {}

  /** The glTF mesh for `data` (made once per MeshData). */
  meshFor(data: MeshData): Mesh {
    let mesh = this.made.get(data)
    if (mesh) return mesh
    const n = Math.floor(data.positions.length / 3)
    const pos = new Float32Array(n * 3)
    for (let i = 0; i < n; i++) pos.set(locationToYUp(data.positions.subarray(i * 3, i * 3 + 3)), i * 3)
    const position = this.doc.createAccessor().setType('VEC3').setArray(pos).setBuffer(this.buffer)
    const prim = this.doc.createPrimitive().setAttribute('POSITION', position)
    if (data.indices) {
      const small = n <= 0xffff
      const idx = small ? Uint16Array.from(data.indices) : Uint32Array.from(data.indices)
      prim.setIndices(this.doc.createAccessor().setType('SCALAR').setArray(idx).setBuffer(this.buffer))
    }
    mesh = this.doc.createMesh(data.name ?? '').addPrimitive(prim)
    this.made.set(data, mesh)
    return mesh
  }
}
