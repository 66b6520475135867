/**
 * The agent's half of scene content: data blocks, geometry, collections, the
 * active camera, between the add-on's ops and the doc.
 *
 * Geometry from Blender arrives as a file (geometry-cache.ts). It is checked
 * (hash, then every index, src/crdt/geometry-mesh.ts) and written as chunks,
 * each its own update, at the pace the server acknowledges them
 * (chunk-writer.ts), before the op's own transaction sets the reference and
 * releases the value it replaced (`[D2]`, `[D4]`). Offline, only the reference
 * is written: chunks wait in the cache and go out once synced, so a
 * reconnecting client's sync reply never carries megabytes of geometry.
 *
 * Remote changes become `data`, `collection`, `uncollection` and
 * `scene-settings` messages. A reference whose chunks have not all arrived
 * waits; the message goes out when the last chunk does. Geometry reaches
 * Blender as a file path, after the same checks.
 */
import * as Y from 'yjs'
import {
  type CollectionState, type DataState, type GeometryRef, type SceneDoc, type SceneSettings,
  chunkCount, checkGeometry, collectContentChanges, hashOfChunkKey, missingChunks,
} from '../crdt/index.js'
import { ChunkWriter } from './chunk-writer.js'
import type { ContentOp } from './content-protocol.js'
import type { GeometryCache } from './geometry-cache.js'

export interface DataMessage {
  type: 'data'
  id: string
  kind: string | null
  name: string | null
  settings: DataState['settings']
  /** The value as a file; null: none. Absent while `pending` (keep what you show). */
  geometry?: { hash: string; size: number; path: string } | null
  /** The hash of a value whose chunks are still arriving. */
  pending?: string
}

export interface CollectionMessage extends Omit<CollectionState, 'id'> {
  type: 'collection'
  id: string
}

export type ContentMessage =
  | DataMessage
  | CollectionMessage
  | { type: 'uncollection'; id: string }
  | { type: 'scene-settings'; camera: string | null }
  | { type: 'error'; message: string }

export interface ContentParts {
  data: DataMessage[]
  collections: CollectionMessage[]
  settings: SceneSettings
}

export interface BridgeOptions {
  /** The origin of the agent's own transactions. */
  origin: unknown
  emit: (m: ContentMessage) => void
  /** Whether the provider is synced with the server (chunks are written only then). */
  synced: () => boolean
}

export class ContentBridge {
  /** hash → data ids whose reference waits for that value's chunks. */
  private readonly waiting = new Map<string, Set<string>>()
  private repairQueued = false
  readonly writer: ChunkWriter

  constructor(
    private readonly scene: SceneDoc,
    private readonly cache: GeometryCache,
    private readonly opts: BridgeOptions,
  ) {
    this.writer = new ChunkWriter(scene.doc, scene.geometry, opts.origin, opts.synced)
  }

  /**
   * Before an op's transaction: reads and checks the geometry files the op names
   * and writes their chunks. Throws (writing nothing) on a bad file or value.
   */
  async prepare(ops: ContentOp[]): Promise<Map<string, GeometryRef>> {
    const refs = new Map<string, GeometryRef>()
    const values: Array<[string, Uint8Array]> = []
    for (const op of ops) {
      if (op.op !== 'data' || !op.geometry || refs.has(op.geometry.hash)) continue
      const { hash, path } = op.geometry
      const bytes = this.cache.adopt(path, hash)
      const c = checkGeometry(bytes)
      if (!c.ok) throw new Error(`data ${op.id}: geometry: ${c.reason}`)
      if (c.value.kind !== op.kind) throw new Error(`data ${op.id}: a ${op.kind} cannot hold ${c.value.kind} geometry`)
      refs.set(hash, { hash, size: bytes.length, chunks: chunkCount(bytes.length) })
      values.push([hash, bytes])
    }
    if (this.opts.synced()) for (const [hash, bytes] of values) await this.writer.write(hash, bytes)
    return refs
  }

  /** Inside the op's transaction. */
  apply(op: ContentOp, refs: Map<string, GeometryRef>): void {
    const s = this.scene
    switch (op.op) {
      case 'data': {
        const old = s.readData(op.id)?.geometry?.hash
        const geometry = op.geometry === undefined ? undefined : op.geometry === null ? null : refs.get(op.geometry.hash)!
        s.upsertData(op.id, { kind: op.kind, name: op.name, ...(op.settings ? { settings: op.settings } : {}), ...(geometry !== undefined ? { geometry } : {}) })
        if (old && geometry !== undefined && old !== geometry?.hash) s.releaseGeometry(old)
        return
      }
      case 'link':
        return s.setObjectRefs(op.id, {
          ...(op.data !== undefined ? { data: op.data } : {}),
          ...(op.materials ? { materials: op.materials } : {}),
          ...(op.collections ? { collections: op.collections } : {}),
        })
      case 'collection':
        return s.upsertCollection(op.id, {
          ...(op.name !== undefined ? { name: op.name } : {}),
          ...(op.parent !== undefined ? { parent: op.parent } : {}),
          ...(op.flags ? { flags: op.flags } : {}),
        })
      case 'uncollection':
        return s.deleteCollection(op.id)
      case 'camera':
        return s.setActiveCamera(op.id)
    }
  }

  /** After any transaction: what others changed goes to Blender; chunks that arrived release waiting references. */
  report(tr: Y.Transaction, local: boolean): void {
    const ch = collectContentChanges(tr, this.scene)
    if (!local) {
      for (const id of ch.data.keys()) {
        const m = this.dataMessage(id)
        if (m) this.opts.emit(m)
      }
      for (const id of ch.collections) {
        const c = this.readCollection(id)
        this.opts.emit(c ? { type: 'collection', ...c } : { type: 'uncollection', id })
      }
      if (ch.scene) this.opts.emit({ type: 'scene-settings', ...this.scene.readSceneSettings() })
    }
    let lost = false
    const arrived = new Set<string>()
    for (const key of ch.chunks) {
      const hash = hashOfChunkKey(key)
      if (hash === null) continue
      if (this.scene.geometry.get(key) instanceof Uint8Array) arrived.add(hash)
      else lost = true
    }
    for (const hash of arrived) {
      const ids = this.waiting.get(hash)
      if (!ids) continue
      this.waiting.delete(hash)
      // Still incomplete ones put themselves back on the list.
      for (const id of ids) {
        const m = this.dataMessage(id)
        if (m && !m.pending) this.opts.emit(m)
      }
    }
    // Someone deleted chunks a reference still needs (a concurrent release): put back what we hold.
    if ((lost || ch.data.size > 0) && !local) this.queueRepair()
  }

  private queueRepair(): void {
    if (this.repairQueued) return
    this.repairQueued = true
    // Not inside the transaction that is being reported.
    setImmediate(() => {
      this.repairQueued = false
      this.repair()
    })
  }

  /** Writes the chunks of every reference that lacks them and whose value this agent holds. */
  repair(): number {
    if (!this.opts.synced()) return 0
    let n = 0
    for (const d of this.scene.readAllData()) {
      const ref = d.geometry
      if (!ref || missingChunks(this.scene.geometry, ref).length === 0) continue
      const bytes = this.cache.get(ref.hash)
      if (!bytes || bytes.length !== ref.size) continue
      void this.writer.write(ref.hash, bytes)
      n++
    }
    return n
  }

  private readCollection(id: string): Omit<CollectionMessage, 'type'> | null {
    const map = this.scene.collectionMaps.get(id) as unknown
    if (!(map instanceof Y.Map)) return null
    return this.scene.readCollections().find((c) => c.id === id) ?? null
  }

  /** A data block as Blender gets it, its geometry as a checked file; null when it is not a data block. */
  dataMessage(id: string): DataMessage | null {
    const d = this.scene.readData(id)
    if (!d) return null
    const m: DataMessage = { type: 'data', id, kind: d.kind, name: d.name, settings: d.settings }
    const ref = d.geometry
    if (!ref) {
      m.geometry = null
      return m
    }
    if (this.cache.has(ref.hash)) {
      m.geometry = { hash: ref.hash, size: ref.size, path: this.cache.pathOf(ref.hash) }
      return m
    }
    const got = this.scene.geometryBytes(ref)
    if (!got.ok) {
      if (got.missing.length > 0) {
        let ids = this.waiting.get(ref.hash)
        if (!ids) this.waiting.set(ref.hash, (ids = new Set()))
        ids.add(id)
        m.pending = ref.hash
        return m
      }
      this.opts.emit({ type: 'error', message: `data ${id} (${d.name ?? '?'}): ${'reason' in got ? got.reason : 'unreadable geometry'}; keeping what Blender shows` })
      m.pending = ref.hash
      return m
    }
    const c = checkGeometry(got.bytes)
    if (!c.ok) {
      this.opts.emit({ type: 'error', message: `data ${id} (${d.name ?? '?'}): geometry: ${c.reason}; keeping what Blender shows` })
      m.pending = ref.hash
      return m
    }
    m.geometry = { hash: ref.hash, size: ref.size, path: this.cache.put(ref.hash, got.bytes) }
    return m
  }

  parts(): ContentParts {
    return {
      data: [...this.scene.dataBlocks.keys()].sort().flatMap((id) => this.dataMessage(id) ?? []),
      collections: this.scene.readCollections().map((c) => ({ type: 'collection' as const, ...c })),
      settings: this.scene.readSceneSettings(),
    }
  }
}
