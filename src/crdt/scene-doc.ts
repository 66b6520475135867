/**
 * The scene model on Yjs (DESIGN "Scene model on Yjs"): the only module that
 * touches the doc's raw keys. Every other part writes and reads through it.
 *
 * Root map `objects`: object id → Y.Map { name, type, parent, visible, xform, pose?,
 * data, materials, collections }; `data` (data blocks), `collections`, `scene`
 * (active camera) and `geometry` (chunked geometry values): see their modules.
 */
import * as Y from 'yjs'
import { type ObjectState, type Problem, checkField, checkObjectId, readObject } from './scene-object.js'
import { type StampedXform, type Xform, checkXform, decodeStampedXform, encodeStampedXform, encodeXform } from './xform.js'
import { type ChannelWrite, type ChannelWriteResult, writeChannels } from './xform-merge.js'
import { DATA_KEY, type DataInit, type DataState, readDataBlock, writeDataBlock } from './data-block.js'
import { COLLECTIONS_KEY, type CollectionInit, type CollectionState, readCollection, writeCollection } from './collection.js'
import { SCENE_KEY, type SceneSettings, readSceneSettings } from './scene-settings.js'
import { type Assembled, GEOMETRY_KEY, type GeometryRef, assemble, chunkKeysOf, writeChunks } from './geometry-store.js'
import { checkGeometry } from './geometry-format.js'
import { geometryHash } from './geometry-hash.js'

export const OBJECTS_KEY = 'objects'

export class SceneInputError extends Error {
  readonly code = 'invalid_scene_input'
}

/** An object's links to the rest of the scene; only the given ones are written. */
export interface ObjectRefs {
  data?: string | null
  materials?: (string | null)[]
  collections?: string[]
}

export interface ObjectInit {
  name: string
  type: string
  parent?: string | null
  visible?: boolean
  xform?: Xform
}

function must<T>(c: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!c.ok) throw new SceneInputError(c.reason)
  return c.value
}

export class SceneDoc {
  readonly doc: Y.Doc
  readonly objects: Y.Map<Y.Map<unknown>>

  constructor(doc: Y.Doc = new Y.Doc()) {
    this.doc = doc
    this.objects = doc.getMap(OBJECTS_KEY)
    // Every root now: an update naming a root nobody asked for yet makes Yjs create a
    // plain type, and its changes would not be reported against the map made later.
    for (const key of [DATA_KEY, COLLECTIONS_KEY, SCENE_KEY, GEOMETRY_KEY]) doc.getMap(key)
  }

  /** Runs several writes as one Yjs transaction, so they travel as one update. */
  transact<T>(fn: () => T, origin?: unknown): T {
    let out!: T
    this.doc.transact(() => {
      out = fn()
    }, origin)
    return out
  }

  has(id: string): boolean {
    return this.objects.get(id) instanceof Y.Map
  }

  ids(): string[] {
    return [...this.objects.keys()]
  }

  /**
   * Creates the object or updates the given fields of an existing one. An
   * existing object keeps its Y.Map, so concurrent edits of its other keys
   * are not lost.
   */
  upsertObject(id: string, init: ObjectInit): void {
    must(checkObjectId(id))
    const fields: Array<[string, unknown]> = [
      ['name', must(checkField('name', init.name, id))],
      ['type', must(checkField('type', init.type, id))],
    ]
    if (init.parent !== undefined) fields.push(['parent', must(checkField('parent', init.parent, id))])
    if (init.visible !== undefined) fields.push(['visible', must(checkField('visible', init.visible, id))])
    if (init.xform !== undefined) fields.push(['xform', encodeXform(must(checkXform(init.xform)))])
    this.transact(() => {
      let map = this.objects.get(id)
      if (!(map instanceof Y.Map)) {
        map = new Y.Map()
        for (const [k, v] of fields) map.set(k, v)
        if (init.parent === undefined) map.set('parent', null)
        if (init.visible === undefined) map.set('visible', true)
        if (init.type === 'ARMATURE') map.set('pose', new Y.Map())
        this.objects.set(id, map)
        return
      }
      for (const [k, v] of fields) if (!sameValue(map.get(k), v)) map.set(k, v)
      if (init.type === 'ARMATURE' && !(map.get('pose') instanceof Y.Map)) map.set('pose', new Y.Map())
    })
  }

  setXform(id: string, xform: Xform): void {
    this.object(id).set('xform', encodeXform(must(checkXform(xform))))
  }

  rename(id: string, name: string): void {
    this.object(id).set('name', must(checkField('name', name, id)))
  }

  setParent(id: string, parent: string | null): void {
    this.object(id).set('parent', must(checkField('parent', parent, id)))
  }

  setVisible(id: string, visible: boolean): void {
    this.object(id).set('visible', must(checkField('visible', visible, id)))
  }

  setBonePose(id: string, bone: string, xform: Xform): void {
    if (typeof bone !== 'string' || bone.length === 0) throw new SceneInputError(`bone name must be a non-empty string, got ${JSON.stringify(bone)}`)
    const value = encodeXform(must(checkXform(xform)))
    const obj = this.object(id)
    this.transact(() => {
      let pose = obj.get('pose')
      if (!(pose instanceof Y.Map)) {
        pose = new Y.Map()
        obj.set('pose', pose)
      }
      ;(pose as Y.Map<unknown>).set(bone, value)
    })
  }

  /** The stored transform of an object (or of one of its pose bones) with its channel times; undefined when absent or invalid. */
  readStampedXform(id: string, bone?: string): StampedXform | undefined {
    const map = this.objects.get(id)
    if (!(map instanceof Y.Map)) return undefined
    const holder = bone === undefined ? map : map.get('pose')
    if (!(holder instanceof Y.Map)) return undefined
    const c = decodeStampedXform(holder.get(bone ?? 'xform'))
    return c.ok ? c.value : undefined
  }

  /**
   * Writes the given channels of a transform (of the object, or of a pose bone)
   * and stamps them (xform-merge.ts `writeChannels`); stores nothing when no
   * channel changes. Returns what was written and what the doc kept.
   */
  writeXformChannels(id: string, xform: Xform, w: ChannelWrite, bone?: string): ChannelWriteResult {
    const x = must(checkXform(xform))
    if (!Number.isFinite(w.time) || w.time < 0) throw new SceneInputError(`an edit time must be a finite number of ms ≥ 0, got ${w.time}`)
    if (bone !== undefined && (typeof bone !== 'string' || bone.length === 0)) throw new SceneInputError(`bone name must be a non-empty string, got ${JSON.stringify(bone)}`)
    this.object(id) // throws for an unknown object
    const r = writeChannels(this.readStampedXform(id, bone), roundXform(x), w)
    if (r.written.length) this.storeStampedXform(id, r.value, bone)
    return r
  }

  /** Stores a stamped transform as it is (a merged value, xform-merge.ts). */
  storeStampedXform(id: string, value: StampedXform, bone?: string): void {
    const obj = this.object(id)
    const stored = encodeStampedXform({ xform: must(checkXform(value.xform)), times: value.times })
    if (bone === undefined) {
      obj.set('xform', stored)
      return
    }
    this.transact(() => {
      let pose = obj.get('pose')
      if (!(pose instanceof Y.Map)) {
        pose = new Y.Map()
        obj.set('pose', pose)
      }
      ;(pose as Y.Map<unknown>).set(bone, stored)
    })
  }

  deleteObject(id: string): void {
    if (!this.has(id)) throw new SceneInputError(`no object with id ${JSON.stringify(id)}`)
    this.objects.delete(id)
  }

  /** Reads one object, or undefined when absent; problems go to `problems`. */
  read(id: string, problems: Problem[] = []): ObjectState | undefined {
    const map = this.objects.get(id)
    if (map === undefined) return undefined
    if (!(map instanceof Y.Map)) {
      problems.push({ objectId: id, key: '', value: map, reason: 'object value must be a Y.Map' })
      return undefined
    }
    return readObject(id, map, undefined, { keys: 'all', bones: 'all' }, problems)
  }

  /** Every valid object, sorted by id. */
  readAll(problems: Problem[] = []): ObjectState[] {
    return this.ids()
      .sort()
      .flatMap((id) => this.read(id, problems) ?? [])
  }

  /** Root map `data`: data-block id → Y.Map (data-block.ts). */
  get dataBlocks(): Y.Map<Y.Map<unknown>> {
    return this.doc.getMap(DATA_KEY)
  }

  get collectionMaps(): Y.Map<Y.Map<unknown>> {
    return this.doc.getMap(COLLECTIONS_KEY)
  }

  get sceneMap(): Y.Map<unknown> {
    return this.doc.getMap(SCENE_KEY)
  }

  /** Root map `geometry`: `<hash>/<i>` → chunk (geometry-store.ts). */
  get geometry(): Y.Map<unknown> {
    return this.doc.getMap(GEOMETRY_KEY)
  }

  setObjectRefs(id: string, refs: ObjectRefs): void {
    const obj = this.object(id)
    const fields: Array<[string, unknown]> = []
    for (const key of ['data', 'materials', 'collections'] as const) {
      if (refs[key] !== undefined) fields.push([key, must(checkField(key, refs[key], id))])
    }
    this.transact(() => {
      for (const [k, v] of fields) if (!sameValue(obj.get(k), v)) obj.set(k, v)
    })
  }

  upsertData(id: string, init: DataInit): void {
    this.transact(() => writeDataBlock(this.dataBlocks, id, init, (r) => new SceneInputError(r)))
  }

  readData(id: string, problems: Problem[] = []): DataState | undefined {
    const map = this.dataBlocks.get(id) as unknown
    if (map === undefined) return undefined
    if (!(map instanceof Y.Map)) {
      problems.push({ objectId: id, key: 'data', value: map, reason: 'a data block must be a Y.Map' })
      return undefined
    }
    return readDataBlock(id, map, problems)
  }

  readAllData(problems: Problem[] = []): DataState[] {
    return [...this.dataBlocks.keys()].sort().flatMap((id) => this.readData(id, problems) ?? [])
  }

  upsertCollection(id: string, init: CollectionInit): void {
    this.transact(() => writeCollection(this.collectionMaps, id, init, (r) => new SceneInputError(r)))
  }

  deleteCollection(id: string): void {
    this.collectionMaps.delete(id)
  }

  readCollections(problems: Problem[] = []): CollectionState[] {
    const out: CollectionState[] = []
    for (const id of [...this.collectionMaps.keys()].sort()) {
      const map = this.collectionMaps.get(id) as unknown
      if (map instanceof Y.Map) out.push(readCollection(id, map, problems))
      else problems.push({ objectId: id, key: 'collection', value: map, reason: 'a collection must be a Y.Map' })
    }
    return out
  }

  setActiveCamera(id: string | null): void {
    if (id !== null) must(checkObjectId(id))
    if (this.sceneMap.get('camera') !== id) this.sceneMap.set('camera', id)
  }

  readSceneSettings(problems: Problem[] = []): SceneSettings {
    return readSceneSettings(this.sceneMap, problems)
  }

  /**
   * Stores a geometry value (validated first) as chunks, each its own
   * transaction and so its own update; returns the reference to put on a data
   * block. Chunks already present are not written again (`[D2]`). Must not run
   * inside a transaction: the chunks would then travel as one update.
   */
  putGeometry(bytes: Uint8Array, origin?: unknown, hash = geometryHash(bytes)): GeometryRef {
    if (this.doc._transaction !== null) throw new Error('putGeometry must run outside a transaction, so each chunk is its own update')
    const c = checkGeometry(bytes)
    if (!c.ok) throw new SceneInputError(`geometry: ${c.reason}`)
    return writeChunks(this.doc, this.geometry, bytes, hash, origin)
  }

  /** The bytes of a reference, or what is missing. */
  geometryBytes(ref: GeometryRef): Assembled {
    return assemble(this.geometry, ref)
  }

  /** Deletes the chunks of `hash` unless a data block still refers to it. */
  releaseGeometry(hash: string): void {
    for (const map of this.dataBlocks.values()) {
      const g = map instanceof Y.Map ? (map.get('geometry') as { hash?: unknown } | null | undefined) : undefined
      if (g && g.hash === hash) return
    }
    const keys = chunkKeysOf(this.geometry, hash)
    if (keys.length > 0) this.transact(() => keys.forEach((k) => this.geometry.delete(k)))
  }

  private object(id: string): Y.Map<unknown> {
    const map = this.objects.get(id)
    if (!(map instanceof Y.Map)) throw new SceneInputError(`no object with id ${JSON.stringify(id)}`)
    return map
  }
}

/** Float32, as stored: comparing an incoming value with the stored one must not see rounding as a change. */
function roundXform(x: Xform): Xform {
  return { mode: x.mode, location: x.location.map(Math.fround) as Xform['location'], rotation: x.rotation.map(Math.fround), scale: x.scale.map(Math.fround) as Xform['scale'] }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i])
  return a === b
}
