/**
 * The plain settings of each data-block kind: one doc key per Blender
 * property, with the type readers check. The add-on's content/ modules carry
 * the same lists with the Blender property each key maps to (a test keeps the
 * two in step). Keys with a dot name a nested struct (`dof.focus_distance`) or,
 * for materials, an input of the Principled BSDF node (`principled.alpha`).
 */
import { type Checked, describeValue } from './xform.js'

export type SettingType = 'number' | 'int' | 'bool' | 'string' | 'color3' | 'color4'
export type SettingValue = number | boolean | string | number[]

export const DATA_KINDS = ['MESH', 'ARMATURE', 'CURVE', 'MATERIAL', 'LIGHT', 'CAMERA'] as const
export type DataKind = (typeof DATA_KINDS)[number]

/** Kinds whose heavy part is a geometry value. */
export const GEOMETRY_KINDS: ReadonlySet<string> = new Set(['MESH', 'ARMATURE', 'CURVE'])

const n = 'number' as const
const i = 'int' as const
const b = 'bool' as const
const s = 'string' as const

export const DATA_SETTINGS: Record<DataKind, Record<string, SettingType>> = {
  MESH: { use_auto_smooth: b, auto_smooth_angle: n },
  ARMATURE: { display_type: s, pose_position: s, show_names: b, show_axes: b },
  CURVE: {
    dimensions: s, resolution_u: i, render_resolution_u: i, bevel_mode: s, bevel_depth: n, bevel_resolution: i,
    extrude: n, offset: n, fill_mode: s, twist_mode: s, use_fill_caps: b, use_path: b, path_duration: i,
  },
  MATERIAL: {
    diffuse_color: 'color4', metallic: n, roughness: n, specular_intensity: n,
    blend_method: s, shadow_method: s, alpha_threshold: n, use_backface_culling: b, show_transparent_back: b, use_nodes: b,
    'principled.base_color': 'color4', 'principled.metallic': n, 'principled.roughness': n, 'principled.specular': n,
    'principled.ior': n, 'principled.transmission': n, 'principled.emission': 'color4', 'principled.emission_strength': n,
    'principled.alpha': n,
  },
  LIGHT: {
    type: s, color: 'color3', energy: n, specular_factor: n, diffuse_factor: n, volume_factor: n,
    use_shadow: b, shadow_soft_size: n, shadow_color: 'color3', shadow_buffer_clip_start: n, shadow_buffer_bias: n,
    use_contact_shadow: b, contact_shadow_distance: n, contact_shadow_bias: n, contact_shadow_thickness: n,
    use_custom_distance: b, cutoff_distance: n,
    spot_size: n, spot_blend: n, show_cone: b, use_square: b,
    shape: s, size: n, size_y: n, spread: n,
    angle: n, shadow_cascade_count: i, shadow_cascade_max_distance: n, shadow_cascade_exponent: n, shadow_cascade_fade: n,
  },
  CAMERA: {
    type: s, lens: n, lens_unit: s, sensor_fit: s, sensor_width: n, sensor_height: n,
    clip_start: n, clip_end: n, ortho_scale: n, shift_x: n, shift_y: n,
    display_size: n, show_limits: b, show_passepartout: b, passepartout_alpha: n,
    'dof.use_dof': b, 'dof.focus_distance': n, 'dof.aperture_fstop': n, 'dof.aperture_blades': i, 'dof.aperture_rotation': n, 'dof.aperture_ratio': n,
  },
}

/** Keys of a data block's map that are not settings. */
export const RESERVED_DATA_KEYS: ReadonlySet<string> = new Set(['kind', 'name', 'geometry'])

export const SETTING_KEY = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/
const MAX_STRING = 256
const MAX_ARRAY = 16

function finiteArray(v: unknown, len: number | null): v is number[] {
  return Array.isArray(v) && (len === null ? v.length <= MAX_ARRAY : v.length === len) && v.every((x) => typeof x === 'number' && Number.isFinite(x))
}

/**
 * Checks one setting. A key the kind does not list (a newer add-on's, or a
 * foreign client's) is accepted when it is a plain scalar or a short array of
 * numbers, so old readers neither crash on nor drop what they do not know.
 */
export function checkSetting(kind: string | null, key: string, v: unknown): Checked<SettingValue> {
  if (!SETTING_KEY.test(key) || RESERVED_DATA_KEYS.has(key)) return { ok: false, reason: `${JSON.stringify(key)} is not a setting name` }
  const type = kind !== null && kind in DATA_SETTINGS ? DATA_SETTINGS[kind as DataKind][key] : undefined
  const bad = (want: string): Checked<SettingValue> => ({ ok: false, reason: `setting ${key} must be ${want}, got ${describeValue(v)}` })
  switch (type) {
    case 'number': return typeof v === 'number' && Number.isFinite(v) ? { ok: true, value: v } : bad('a finite number')
    case 'int': return typeof v === 'number' && Number.isInteger(v) ? { ok: true, value: v } : bad('an integer')
    case 'bool': return typeof v === 'boolean' ? { ok: true, value: v } : bad('a boolean')
    case 'string': return typeof v === 'string' && v.length <= MAX_STRING ? { ok: true, value: v } : bad(`a string of at most ${MAX_STRING} characters`)
    case 'color3': return finiteArray(v, 3) ? { ok: true, value: v } : bad('3 finite numbers (RGB)')
    case 'color4': return finiteArray(v, 4) ? { ok: true, value: v } : bad('4 finite numbers (RGBA)')
    case undefined:
      if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || (typeof v === 'string' && v.length <= MAX_STRING) || finiteArray(v, null)) return { ok: true, value: v as SettingValue }
      return bad('a number, boolean, short string or short array of numbers')
  }
}

/** The stored form: float32 numbers (what Blender holds; lib0 then writes 5 bytes, not 9). */
export function storedSetting(kind: string, key: string, v: SettingValue): SettingValue {
  const type = kind in DATA_SETTINGS ? DATA_SETTINGS[kind as DataKind][key] : undefined
  if (typeof v === 'number' && type !== 'int') return Math.fround(v)
  if (Array.isArray(v)) return v.map((x) => Math.fround(x))
  return v
}
