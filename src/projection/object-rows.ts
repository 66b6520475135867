/**
 * Conversions between typed transforms and the projection's columns, both
 * ways: the writer flattens, the queries and the projector's restart read back.
 */
import { type ObjectState, ROTATION_MODES, type RotationMode, type Xform } from '../crdt/index.js'

export type XformColumns = [string | null, ...(number | null)[]]
export type RefColumns = [string | null, string | null, string | null]

export function xformColumns(x: Xform | null): XformColumns {
  if (!x) return [null, null, null, null, null, null, null, null, null, null, null]
  const [l, r, s] = [x.location, x.rotation, x.scale]
  const rot = r.length === 4 ? [r[0]!, r[1]!, r[2]!, r[3]!] : [null, r[0]!, r[1]!, r[2]!]
  return [x.mode, l[0], l[1], l[2], ...rot, s[0], s[1], s[2]]
}

/** The transform columns of a row, as named in schema.ts. */
export interface XformRow {
  rot_mode: string | null
  loc_x: number | null
  loc_y: number | null
  loc_z: number | null
  rot_w: number | null
  rot_x: number | null
  rot_y: number | null
  rot_z: number | null
  scale_x: number | null
  scale_y: number | null
  scale_z: number | null
}

export interface ObjectRow extends XformRow {
  object_id: string
  name: string | null
  type: string | null
  parent: string | null
  visible: number
  /** The data block's id; materials and collections as JSON arrays. */
  data: string | null
  materials: string | null
  collections: string | null
}

/** An object's links as columns: the data id, and JSON arrays (NULL when empty). */
export function refColumns(s: Pick<ObjectState, 'data' | 'materials' | 'collections'>): RefColumns {
  return [s.data, s.materials.length > 0 ? JSON.stringify(s.materials) : null, s.collections.length > 0 ? JSON.stringify(s.collections) : null]
}

function jsonArray<T>(text: string | null | undefined): T[] {
  if (!text) return []
  const v = JSON.parse(text) as unknown
  return Array.isArray(v) ? (v as T[]) : []
}

export function refsFromRow(r: Pick<ObjectRow, 'data' | 'materials' | 'collections'>): Pick<ObjectState, 'data' | 'materials' | 'collections'> {
  return { data: r.data ?? null, materials: jsonArray<string | null>(r.materials), collections: jsonArray<string>(r.collections) }
}

export function xformFromRow(r: XformRow): Xform | null {
  if (r.rot_mode === null || !(ROTATION_MODES as readonly string[]).includes(r.rot_mode)) return null
  const mode = r.rot_mode as RotationMode
  const rotation = r.rot_w === null ? [r.rot_x!, r.rot_y!, r.rot_z!] : [r.rot_w, r.rot_x!, r.rot_y!, r.rot_z!]
  return { mode, location: [r.loc_x!, r.loc_y!, r.loc_z!], rotation, scale: [r.scale_x!, r.scale_y!, r.scale_z!] }
}

export function objectFromRow(r: ObjectRow, pose: Map<string, Xform> = new Map()): ObjectState {
  return {
    id: r.object_id,
    name: r.name,
    type: r.type,
    parent: r.parent,
    visible: r.visible === 1,
    xform: xformFromRow(r),
    pose,
    ...refsFromRow(r),
  }
}
