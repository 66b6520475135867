/**
 * The scene model on Yjs (DESIGN "Scene model on Yjs"): the only module that
 * touches the doc's raw keys. Every other part writes and reads through it.
 *
 * Root map `objects`: object id → Y.Map { name, type, parent, visible, xform, pose? }.
 */
import * as Y from 'yjs'
import { type ObjectState, type Problem, checkField, checkObjectId, readObject } from './scene-object.js'
import { type StampedXform, type Xform, checkXform, decodeStampedXform, encodeStampedXform, encodeXform } from './xform.js'
import { type ChannelWrite, type ChannelWriteResult, writeChannels } from './xform-merge.js'

export const OBJECTS_KEY = 'objects'

export class SceneInputError extends Error {
  readonly code = 'invalid_scene_input'
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
