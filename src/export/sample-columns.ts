/**
 * The columns of the sample tables (CSV and Parquet share them; docs/export.md
 * describes them): one row per sample, the object's own rows with `bone` empty
 * and each pose bone's rows with its name in `bone`, in the same file.
 *
 * Rotation is always a unit quaternion (w, x, y, z) in Blender's axes (Z up),
 * whatever mode it was recorded in; `rot_mode` says which mode that was.
 */
import { ROTATION_MODES } from '../crdt/index.js'
import type { SampleRow } from '../projection/sample-pages.js'
import { type Quat, quaternionOf } from './rotation.js'

export const SAMPLE_COLUMNS = [
  'time',
  'seq',
  'room',
  'object_id',
  'object_name',
  'bone',
  'user',
  'client',
  'deleted',
  'parent_id',
  'visible',
  'rot_mode',
  'loc_x',
  'loc_y',
  'loc_z',
  'rot_w',
  'rot_x',
  'rot_y',
  'rot_z',
  'scale_x',
  'scale_y',
  'scale_z',
] as const

/**
 * The rotation of a sample as a unit quaternion (written into `out`, which
 * exports reuse row after row), or null when it has no valid transform.
 */
export function sampleQuaternion(r: SampleRow, out?: Quat): Quat | null {
  if (r.rot_mode === null || !(ROTATION_MODES as readonly string[]).includes(r.rot_mode)) return null
  return r.rot_w === null ? quaternionOf(r.rot_mode, r.rot_x!, r.rot_y!, r.rot_z!, 0, out) : quaternionOf(r.rot_mode, r.rot_w, r.rot_x!, r.rot_y!, r.rot_z!, out)
}
