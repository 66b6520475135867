/**
 * The Yjs side of projecting scene content (`[D4]`): what one log entry
 * changed in data blocks, collections, scene settings and geometry chunks, as
 * plain rows. A data block gets one version row per entry that changed it, and
 * one more when its geometry, referenced before all its chunks were in, becomes
 * complete. Geometry is checked (hash, every index) and summarized: counts and
 * bounds; its bytes stay in the log, where the rows say they are.
 *
 * Everything here is a function of the doc and the entry, so a rebuild gives
 * the same rows as incremental projection (`[P1]`); the only memory, which data
 * blocks wait for chunks, is itself a function of the doc.
 */
import * as Y from 'yjs'
import {
  type ContentChanges, type Problem, type SceneDoc,
  checkGeometry, collectContentChanges, hashOfChunkKey, missingChunks, readCollection, readDataBlock, summarize,
} from '../crdt/index.js'
import type { RejectedRow } from './row-batch.js'

/**
 * [room, dataId, seq, deleted, kind, name, settings JSON, hash, size, chunks, pending,
 *  vertices, edges, faces, loops, uvLayers, bones, splines, points, minX, minY, minZ, maxX, maxY, maxZ]
 */
export type DataRow = [string, string, number, 0 | 1, string | null, string | null, string | null, string | null, number | null, number | null, 0 | 1, ...(number | null)[]]
/** [room, collectionId, seq, deleted, name, parent, flags JSON] */
export type CollectionRow = [string, string, number, 0 | 1, string | null, string | null, string | null]
/** [room, seq, camera object id] */
export type SceneRow = [string, number, string | null]
/** [room, hash, chunk index, seq of the entry that wrote it] */
export type ChunkRow = [string, string, number, number]

export interface ContentBatch {
  data: DataRow[]
  collections: CollectionRow[]
  scene: SceneRow[]
  chunks: ChunkRow[]
}

export const emptyContentBatch = (): ContentBatch => ({ data: [], collections: [], scene: [], chunks: [] })

const NO_SUMMARY: Array<number | null> = Array(14).fill(null)

/** Per room: follows one doc's content as entries are applied. */
export class ContentExtractor {
  /** hash → data ids whose reference waits for that value's chunks. */
  private readonly waiting = new Map<string, Set<string>>()
  private readonly known = new Set<string>()
  private readonly knownCollections = new Set<string>()
  changes: ContentChanges | null = null

  constructor(
    private readonly room: string,
    private readonly scene: SceneDoc,
  ) {
    for (const id of scene.dataBlocks.keys()) {
      this.known.add(id)
      const ref = scene.readData(id)?.geometry
      if (ref && !scene.geometryBytes(ref).ok) this.wait(ref.hash, id)
    }
    for (const id of scene.collectionMaps.keys()) this.knownCollections.add(id)
  }

  /** Call from the doc's afterTransaction handler. */
  observe(tr: Y.Transaction): void {
    this.changes = collectContentChanges(tr, this.scene)
  }

  private wait(hash: string, id: string): void {
    let ids = this.waiting.get(hash)
    if (!ids) this.waiting.set(hash, (ids = new Set()))
    ids.add(id)
  }

  /** Rows for the entry at `seq` just applied; problems become rejected rows. */
  extract(seq: number, out: ContentBatch, rejected: RejectedRow[]): void {
    const ch = this.changes
    this.changes = null
    if (!ch) return
    const problems: Problem[] = []
    for (const [id, keys] of ch.data) this.dataRow(id, seq, keys, out, problems)
    for (const key of ch.chunks) {
      const hash = hashOfChunkKey(key)
      if (hash === null || !(this.scene.geometry.get(key) instanceof Uint8Array)) continue
      out.chunks.push([this.room, hash, Number(key.slice(65)), seq])
      const ids = this.waiting.get(hash)
      if (!ids) continue
      const ref = this.scene.readData([...ids][0]!)?.geometry
      if (ref && ref.hash === hash && missingChunks(this.scene.geometry, ref).length > 0) continue
      this.waiting.delete(hash)
      // A data block this entry did not touch whose geometry is now complete: a version of its own.
      for (const id of ids) if (!ch.data.has(id)) this.dataRow(id, seq, new Set(), out, problems)
    }
    for (const id of ch.collections) {
      const map = this.scene.collectionMaps.get(id) as unknown
      if (map instanceof Y.Map) {
        const c = readCollection(id, map, problems)
        this.knownCollections.add(id)
        out.collections.push([this.room, id, seq, 0, c.name, c.parent, JSON.stringify(c.flags)])
      } else if (this.knownCollections.delete(id)) {
        out.collections.push([this.room, id, seq, 1, null, null, null])
      }
    }
    if (ch.scene) out.scene.push([this.room, seq, this.scene.readSceneSettings(problems).camera])
    for (const p of problems) rejected.push([seq, this.room, p.objectId, p.key, p.bone ?? null, valueOf(p.value), p.reason])
  }

  private dataRow(id: string, seq: number, keys: Set<string> | 'all', out: ContentBatch, problems: Problem[]): void {
    const map = this.scene.dataBlocks.get(id) as unknown
    if (!(map instanceof Y.Map)) {
      if (map !== undefined) problems.push({ objectId: id, key: 'data', value: map, reason: 'a data block must be a Y.Map' })
      if (this.known.delete(id)) out.data.push([this.room, id, seq, 1, null, null, null, null, null, null, 0, ...NO_SUMMARY])
      return
    }
    this.known.add(id)
    const d = readDataBlock(id, map, problems, keys)
    const ref = d.geometry
    let pending: 0 | 1 = 0
    let summary = NO_SUMMARY
    if (ref) {
      const got = this.scene.geometryBytes(ref)
      if (got.ok) {
        const c = checkGeometry(got.bytes)
        if (c.ok) {
          const s = summarize(c.value)
          summary = [s.vertices, s.edges, s.faces, s.loops, s.uvLayers, s.bones, s.splines, s.points, ...(s.bounds ?? [null, null, null, null, null, null])]
        } else problems.push({ objectId: id, key: 'data.geometry', value: ref, reason: c.reason })
      } else if (got.missing.length > 0) {
        pending = 1
        this.wait(ref.hash, id)
      } else problems.push({ objectId: id, key: 'data.geometry', value: ref, reason: 'reason' in got ? got.reason : 'unreadable geometry' })
    }
    out.data.push([this.room, id, seq, 0, d.kind, d.name, JSON.stringify(d.settings), ref?.hash ?? null, ref?.size ?? null, ref?.chunks ?? null, pending, ...summary])
  }
}

function valueOf(v: unknown): string {
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? `<${x.length} bytes>` : x)) ?? String(v)
    return s.length > 1000 ? s.slice(0, 1000) + '…' : s
  } catch {
    return String(v)
  }
}
