/**
 * Collections: root map `collections`, collection id → Y.Map { name, parent,
 * and the hide/exclude flags }. `parent` is another collection's id, or null
 * for a child of the scene's own collection. Objects list the collections they
 * are linked to (their `collections` key); SCENE_COLLECTION names the scene's
 * own collection there.
 */
import * as Y from 'yjs'
import { checkDataName, checkRef, sameJson } from './data-block.js'
import { type Problem, checkObjectId } from './scene-object.js'
import { type Checked, describeValue } from './xform.js'

export const COLLECTIONS_KEY = 'collections'
export const SCENE_COLLECTION = '@scene'
/**
 * The collection's own flags (`hide_viewport`: disabled in viewports,
 * `hide_render`, `hide_select`) and, for the synced scene's view layer, its
 * layer collection's (`exclude`: the checkbox, `hide`: the eye).
 */
export const COLLECTION_FLAGS = ['hide_viewport', 'hide_render', 'hide_select', 'exclude', 'hide'] as const
export type CollectionFlag = (typeof COLLECTION_FLAGS)[number]

export interface CollectionState {
  id: string
  name: string | null
  parent: string | null
  flags: Record<CollectionFlag, boolean>
}

export interface CollectionInit {
  name?: string
  parent?: string | null
  flags?: Partial<Record<CollectionFlag, boolean>>
}

const noFlags = (): Record<CollectionFlag, boolean> => ({ hide_viewport: false, hide_render: false, hide_select: false, exclude: false, hide: false })

function checkParent(v: unknown, self: string): Checked<string | null> {
  if (v === null) return { ok: true, value: null }
  const c = checkRef(v, 'collection parent')
  if (!c.ok) return c
  if (c.value === self) return { ok: false, reason: 'a collection cannot be its own parent' }
  return c
}

export function readCollection(id: string, map: Y.Map<unknown>, problems: Problem[]): CollectionState {
  const out: CollectionState = { id, name: null, parent: null, flags: noFlags() }
  for (const [key, value] of map.entries()) {
    let c: Checked<unknown>
    if (key === 'name') c = checkDataName(value)
    else if (key === 'parent') c = checkParent(value, id)
    else if ((COLLECTION_FLAGS as readonly string[]).includes(key)) c = typeof value === 'boolean' ? { ok: true, value } : { ok: false, reason: `${key} must be a boolean, got ${describeValue(value)}` }
    else continue // a newer writer's key: ignored, not wrong
    if (!c.ok) {
      problems.push({ objectId: id, key: `collection.${key}`, value, reason: c.reason })
      continue
    }
    if (key === 'name') out.name = c.value as string
    else if (key === 'parent') out.parent = c.value as string | null
    else out.flags[key as CollectionFlag] = c.value as boolean
  }
  return out
}

export function writeCollection(root: Y.Map<Y.Map<unknown>>, id: string, init: CollectionInit, err: (reason: string) => Error): void {
  const ok = <T>(c: Checked<T>): T => {
    if (!c.ok) throw err(`collection ${id}: ${c.reason}`)
    return c.value
  }
  ok(checkObjectId(id))
  if (id === SCENE_COLLECTION) throw err(`${SCENE_COLLECTION} is the scene's own collection and cannot be written`)
  const fields: Array<[string, unknown]> = []
  if (init.name !== undefined) fields.push(['name', ok(checkDataName(init.name))])
  if (init.parent !== undefined) fields.push(['parent', ok(checkParent(init.parent, id))])
  for (const [k, v] of Object.entries(init.flags ?? {})) {
    if (!(COLLECTION_FLAGS as readonly string[]).includes(k)) throw err(`collection ${id}: unknown flag ${JSON.stringify(k)}; expected one of ${COLLECTION_FLAGS.join(', ')}`)
    if (typeof v !== 'boolean') throw err(`collection ${id}: ${k} must be a boolean`)
    fields.push([k, v])
  }
  let map = root.get(id)
  if (!(map instanceof Y.Map)) {
    map = new Y.Map()
    if (init.parent === undefined) map.set('parent', null)
    for (const [k, v] of fields) map.set(k, v)
    root.set(id, map)
    return
  }
  for (const [k, v] of fields) if (!sameJson(map.get(k), v)) map.set(k, v)
}
