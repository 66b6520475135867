/**
 * Reading one object's Y.Map into a typed value, validating what a foreign
 * Yjs client may have put there. A wrong shape is reported, never thrown.
 */
import * as Y from 'yjs'
import { type Checked, type Xform, decodeXform, describeValue } from './xform.js'

export const OBJECT_KEYS = ['name', 'type', 'parent', 'visible', 'xform', 'pose', 'data', 'materials', 'collections'] as const
export type ObjectKey = (typeof OBJECT_KEYS)[number]

/** Blender object types are upper-case identifiers (MESH, EMPTY, ARMATURE, ...). */
const TYPE_PATTERN = /^[A-Z][A-Z_]{0,31}$/
export const MAX_ID_LENGTH = 128
export const MAX_NAME_LENGTH = 256
/** Material slots and collection links an object may list. */
export const MAX_REFS = 256

export interface ObjectState {
  id: string
  /** null only when the doc holds no valid value for the field. */
  name: string | null
  type: string | null
  parent: string | null
  visible: boolean
  xform: Xform | null
  /** Bone name → local transform; empty for objects that are not armatures. */
  pose: Map<string, Xform>
  /** The data block it shows (null for an empty); material ids per slot (null: empty slot); collection ids. */
  data: string | null
  materials: (string | null)[]
  collections: string[]
}

/** A value that failed validation: where it is, what it is, why it is wrong. */
export interface Problem {
  objectId: string
  key: string
  bone?: string
  value: unknown
  reason: string
}

function isRef(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH
}

export function checkObjectId(id: unknown): Checked<string> {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    return { ok: false, reason: `object id must be a string of 1..${MAX_ID_LENGTH} characters, got ${describeValue(id)}` }
  }
  return { ok: true, value: id }
}

export function checkField(key: string, v: unknown, selfId: string): Checked<unknown> {
  switch (key) {
    case 'name':
      if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NAME_LENGTH) {
        return { ok: false, reason: `name must be a string of 1..${MAX_NAME_LENGTH} characters, got ${describeValue(v)}` }
      }
      return { ok: true, value: v }
    case 'type':
      if (typeof v !== 'string' || !TYPE_PATTERN.test(v)) return { ok: false, reason: `type must be a Blender object type such as MESH or EMPTY, got ${describeValue(v)}` }
      return { ok: true, value: v }
    case 'parent':
      if (v === null) return { ok: true, value: null }
      if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LENGTH) return { ok: false, reason: `parent must be an object id or null, got ${describeValue(v)}` }
      if (v === selfId) return { ok: false, reason: 'parent must not be the object itself' }
      return { ok: true, value: v }
    case 'visible':
      if (typeof v !== 'boolean') return { ok: false, reason: `visible must be a boolean, got ${describeValue(v)}` }
      return { ok: true, value: v }
    case 'xform':
      return decodeXform(v)
    case 'pose':
      if (!(v instanceof Y.Map)) return { ok: false, reason: `pose must be a Y.Map of bone name → xform, got ${describeValue(v)}` }
      return { ok: true, value: v }
    case 'data':
      if (v === null || isRef(v)) return { ok: true, value: v }
      return { ok: false, reason: `data must be a data-block id or null, got ${describeValue(v)}` }
    case 'materials':
      if (Array.isArray(v) && v.length <= MAX_REFS && v.every((m) => m === null || isRef(m))) return { ok: true, value: v }
      return { ok: false, reason: `materials must be an array of at most ${MAX_REFS} material ids (null for an empty slot), got ${describeValue(v)}` }
    case 'collections':
      if (Array.isArray(v) && v.length <= MAX_REFS && v.every(isRef) && new Set(v).size === v.length) return { ok: true, value: v }
      return { ok: false, reason: `collections must be an array of at most ${MAX_REFS} distinct collection ids, got ${describeValue(v)}` }
    default:
      return { ok: false, reason: `unknown key ${JSON.stringify(key)}` }
  }
}

/**
 * Reads an object. `previous` supplies the value kept for a field whose stored
 * value is invalid (the projection keeps the last valid value, and records the
 * invalid one as rejected). `report` limits problem reports to the keys (and
 * bones) that changed, so a bad value is reported once, not on every later edit.
 */
export function readObject(
  id: string,
  map: Y.Map<unknown>,
  previous: ObjectState | undefined,
  report: { keys: ReadonlySet<string> | 'all'; bones: ReadonlySet<string> | 'all' },
  problems: Problem[],
): ObjectState {
  const out: ObjectState = {
    id,
    name: previous?.name ?? null,
    type: previous?.type ?? null,
    parent: previous?.parent ?? null,
    visible: previous?.visible ?? true,
    xform: previous?.xform ?? null,
    pose: new Map(),
    data: previous?.data ?? null,
    materials: previous?.materials ?? [],
    collections: previous?.collections ?? [],
  }
  if (previous && report.keys !== 'all') {
    // Only the changed keys need reading: the projector's hot path.
    out.pose = previous.pose
    for (const key of report.keys) readKey(id, map, key, previous, report.bones, out, problems, true)
    if (!report.keys.has('pose') && report.bones !== 'all' && report.bones.size > 0) {
      const pose = map.get('pose')
      if (pose instanceof Y.Map) {
        out.pose = new Map(previous.pose)
        readBones(id, pose, previous.pose, report.bones, out.pose, problems)
      }
    }
    return out
  }
  for (const key of map.keys()) readKey(id, map, key, previous, report.bones, out, problems, report.keys === 'all' || report.keys.has(key))
  // A key deleted by a foreign client falls back to the default, as a fresh read would.
  if (!map.has('parent')) out.parent = null
  if (!map.has('visible')) out.visible = true
  if (!map.has('data')) out.data = null
  if (!map.has('materials')) out.materials = []
  if (!map.has('collections')) out.collections = []
  return out
}

function readKey(
  id: string,
  map: Y.Map<unknown>,
  key: string,
  previous: ObjectState | undefined,
  bones: ReadonlySet<string> | 'all',
  out: ObjectState,
  problems: Problem[],
  report: boolean,
): void {
  const value = map.get(key)
  if (value === undefined && !map.has(key)) {
    // Removed by a foreign client: the default, as a fresh read gives.
    if (key === 'parent') out.parent = null
    else if (key === 'visible') out.visible = true
    else if (key === 'pose') out.pose = new Map()
    else if (key === 'data') out.data = null
    else if (key === 'materials') out.materials = []
    else if (key === 'collections') out.collections = []
    return
  }
  const c = checkField(key, value, id)
  if (!c.ok) {
    if (report) problems.push({ objectId: id, key, value, reason: c.reason })
    return
  }
  switch (key) {
    case 'name': out.name = c.value as string; break
    case 'type': out.type = c.value as string; break
    case 'parent': out.parent = c.value as string | null; break
    case 'visible': out.visible = c.value as boolean; break
    case 'xform': out.xform = c.value as Xform; break
    case 'pose':
      out.pose = new Map()
      readPose(id, c.value as Y.Map<unknown>, previous?.pose, bones, out.pose, problems)
      break
    case 'data': out.data = c.value as string | null; break
    case 'materials': out.materials = c.value as (string | null)[]; break
    case 'collections': out.collections = c.value as string[]; break
  }
}

/** Re-reads only `bones` of a pose into `out` (a copy of the previous pose). */
function readBones(id: string, pose: Y.Map<unknown>, previous: Map<string, Xform>, bones: ReadonlySet<string>, out: Map<string, Xform>, problems: Problem[]): void {
  for (const bone of bones) {
    const value = pose.get(bone)
    if (value === undefined && !pose.has(bone)) {
      out.delete(bone)
      continue
    }
    const c = decodeXform(value)
    if (c.ok) out.set(bone, c.value)
    else {
      problems.push({ objectId: id, key: 'pose', bone, value, reason: `bone ${JSON.stringify(bone)}: ${c.reason}` })
      const kept = previous.get(bone)
      if (kept) out.set(bone, kept)
      else out.delete(bone)
    }
  }
}

function readPose(
  id: string,
  pose: Y.Map<unknown>,
  previous: Map<string, Xform> | undefined,
  report: ReadonlySet<string> | 'all',
  out: Map<string, Xform>,
  problems: Problem[],
): void {
  for (const [bone, value] of pose.entries()) {
    const c = decodeXform(value)
    if (c.ok) {
      out.set(bone, c.value)
      continue
    }
    if (report === 'all' || report.has(bone)) problems.push({ objectId: id, key: 'pose', bone, value, reason: `bone ${JSON.stringify(bone)}: ${c.reason}` })
    const kept = previous?.get(bone)
    if (kept) out.set(bone, kept)
  }
}
