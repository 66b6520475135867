/**
 * Data blocks (DESIGN "Scene model on Yjs"): root map `data`, data-block id (a
 * UUID kept in the data block's own custom property) → Y.Map with `kind`,
 * `name`, one key per plain setting (data-settings.ts) and, for meshes,
 * armatures and curves, `geometry`: a reference to a chunked geometry value
 * (geometry-store.ts). Two objects that share one mesh share one id.
 *
 * Reads validate what a foreign client may have written; a wrong value is
 * reported as a Problem and left out, never thrown.
 */
import * as Y from 'yjs'
import { type SettingValue, checkSetting, storedSetting } from './data-settings.js'
import { type GeometryRef, checkGeometryRef } from './geometry-store.js'
import { type Problem, MAX_ID_LENGTH, MAX_NAME_LENGTH, checkObjectId } from './scene-object.js'
import { type Checked, describeValue } from './xform.js'

export const DATA_KEY = 'data'

/** Blender ID type names: upper-case identifiers. */
const KIND_PATTERN = /^[A-Z][A-Z_]{0,31}$/

export interface DataState {
  id: string
  /** null only when the doc holds no valid value. */
  kind: string | null
  name: string | null
  settings: Record<string, SettingValue>
  geometry: GeometryRef | null
}

export interface DataInit {
  kind: string
  name: string
  settings?: Record<string, SettingValue>
  /** A reference whose chunks are already in the doc; null removes it. */
  geometry?: GeometryRef | null
}

export const checkDataId = checkObjectId

export function checkKind(v: unknown): Checked<string> {
  if (typeof v !== 'string' || !KIND_PATTERN.test(v)) return { ok: false, reason: `kind must be a data-block kind such as MESH or LIGHT, got ${describeValue(v)}` }
  return { ok: true, value: v }
}

export function checkDataName(v: unknown): Checked<string> {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NAME_LENGTH) return { ok: false, reason: `name must be a string of 1..${MAX_NAME_LENGTH} characters, got ${describeValue(v)}` }
  return { ok: true, value: v }
}

/** An id reference (data, material, collection): a string of 1..128 characters. */
export function checkRef(v: unknown, what: string): Checked<string> {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LENGTH) return { ok: false, reason: `${what} must be an id string of 1..${MAX_ID_LENGTH} characters, got ${describeValue(v)}` }
  return { ok: true, value: v }
}

export function readDataBlock(id: string, map: Y.Map<unknown>, problems: Problem[], report: ReadonlySet<string> | 'all' = 'all'): DataState {
  const out: DataState = { id, kind: null, name: null, settings: {}, geometry: null }
  const problem = (key: string, value: unknown, reason: string) => {
    if (report === 'all' || report.has(key)) problems.push({ objectId: id, key: `data.${key}`, value, reason })
  }
  const kind = checkKind(map.get('kind'))
  if (kind.ok) out.kind = kind.value
  else problem('kind', map.get('kind'), kind.reason)
  for (const [key, value] of map.entries()) {
    if (key === 'kind') continue
    if (key === 'name') {
      const c = checkDataName(value)
      if (c.ok) out.name = c.value
      else problem(key, value, c.reason)
    } else if (key === 'geometry') {
      const c = checkGeometryRef(value)
      if (c.ok) out.geometry = c.value
      else problem(key, value, c.reason)
    } else {
      const c = checkSetting(out.kind, key, value)
      if (c.ok) out.settings[key] = c.value
      else problem(key, value, c.reason)
    }
  }
  return out
}

function must<T>(c: Checked<T>, err: (reason: string) => Error): T {
  if (!c.ok) throw err(c.reason)
  return c.value
}

/** Creates the data block or sets the given fields; unchanged values are not rewritten. */
export function writeDataBlock(root: Y.Map<Y.Map<unknown>>, id: string, init: DataInit, err: (reason: string) => Error): void {
  must(checkDataId(id), err)
  const kind = must(checkKind(init.kind), err)
  const fields: Array<[string, unknown]> = [['kind', kind], ['name', must(checkDataName(init.name), err)]]
  for (const [key, value] of Object.entries(init.settings ?? {})) {
    fields.push([key, storedSetting(kind, key, must(checkSetting(kind, key, value), (r) => err(`data ${id}: ${r}`)))])
  }
  if (init.geometry !== undefined) fields.push(['geometry', init.geometry === null ? null : { ...must(checkGeometryRef(init.geometry), err)! }])
  let map = root.get(id)
  if (!(map instanceof Y.Map)) {
    map = new Y.Map()
    for (const [k, v] of fields) map.set(k, v)
    root.set(id, map)
    return
  }
  for (const [k, v] of fields) if (!sameJson(map.get(k), v)) map.set(k, v)
}

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i])
  if (a && b && typeof a === 'object' && typeof b === 'object' && !(a instanceof Y.AbstractType) && !(b instanceof Y.AbstractType)) {
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    return ka.length === kb.length && ka.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k])
  }
  return false
}
