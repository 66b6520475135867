/**
 * Meshes for a glTF export from the room's own history: an object's data
 * block as it was at the range's start (the projection says which version),
 * its geometry bytes read back from the log, decoded as
 * docs/geometry-format.md describes, and its faces cut into triangles.
 * Objects that share a data block (linked duplicates) get one MeshData, so
 * the export writes one glTF mesh for them.
 */
import { type MeshGeometry, decodeGeometry } from '../crdt/index.js'
import type { EventLog } from '../log/event-log.js'
import type { TimeTravel } from '../projection/time-travel.js'
import type { GeometrySource, MeshData } from './geometry-source.js'

export class LogGeometrySource implements GeometrySource {
  private scene: { seq: number; data: Map<string, string | null> } | null = null
  /** Per data block version (`id@seq`): what it decoded to (null: no mesh there). */
  private readonly made = new Map<string, Promise<MeshData | null>>()

  constructor(
    private readonly tt: TimeTravel,
    private readonly log: EventLog,
    private readonly room: string,
  ) {}

  async meshAt(objectId: string, seq: number): Promise<MeshData | null> {
    if (this.scene?.seq !== seq) {
      this.scene = { seq, data: new Map(this.tt.sceneAt(this.room, { seq }).map((o) => [o.id, o.data])) }
    }
    const dataId = this.scene.data.get(objectId)
    if (!dataId) return null
    const block = this.tt.dataAt(this.room, dataId, { seq })
    // No geometry yet, or its chunks were still arriving at that point: the node stays an empty.
    if (!block || block.kind !== 'MESH' || !block.geometry || block.geometry.pending) return null
    const key = `${dataId}@${block.seq}`
    let mesh = this.made.get(key)
    if (!mesh) {
      const roomId = this.tt.roomId(this.room)
      if (roomId === undefined) return null
      mesh = this.tt.content.geometryBytes(this.log, roomId, block).then((bytes) => {
        const g = decodeGeometry(bytes)
        return g.kind === 'MESH' ? meshData(g, block.name ?? undefined) : null
      })
      this.made.set(key, mesh)
    }
    return mesh
  }
}

/** Positions as they are; each face of n corners as a fan of n - 2 triangles. */
export function meshData(g: MeshGeometry, name?: string): MeshData {
  let triangles = 0
  for (const n of g.faceSizes) if (n >= 3) triangles += n - 2
  const indices = new Uint32Array(triangles * 3)
  let at = 0
  for (let f = 0; f < g.faceSizes.length; f++) {
    const n = g.faceSizes[f]!
    const first = g.faceStarts[f]!
    for (let i = 1; i + 1 < n; i++) {
      indices[at++] = g.loopVertices[first]!
      indices[at++] = g.loopVertices[first + i]!
      indices[at++] = g.loopVertices[first + i + 1]!
    }
  }
  return { positions: g.positions, indices, ...(name !== undefined ? { name } : {}) }
}
