/**
 * A local transform as Blender stores it (`matrix_basis` split into channels),
 * and its single stored value in the doc.
 *
 * Stored as ONE array, not one key per channel: when one client drags one
 * object, Yjs merges its consecutive overwrites of one key into a tombstone of
 * almost nothing, while separate keys keep ~18 bytes per update forever
 * (DESIGN "Scene model on Yjs").
 *
 *   [modeCode, lx, ly, lz, ...rotation, sx, sy, sz, tLocation, tRotation, tScale]
 *
 * Channel values are rounded to float32, which is what Blender holds: lib0 then
 * encodes each in 5 bytes instead of 9, the largest part of every update. The
 * three times say when each channel (location; rotation with its mode; scale)
 * was last edited, in ms since the Unix epoch on the server-referenced clock:
 * concurrent writes merge per channel, newest edit winning (xform-merge.ts).
 * Values written before channels had times (no times) still read, as time 0.
 */

export const ROTATION_MODES = ['QUATERNION', 'AXIS_ANGLE', 'XYZ', 'XZY', 'YXZ', 'YZX', 'ZXY', 'ZYX'] as const
export type RotationMode = (typeof ROTATION_MODES)[number]

export type Vec3 = [number, number, number]

/**
 * `rotation` is as Blender stores it for `mode`: quaternion `[w, x, y, z]`,
 * axis-angle `[angle, x, y, z]`, or Euler `[x, y, z]` in radians.
 */
export interface Xform {
  mode: RotationMode
  location: Vec3
  rotation: number[]
  scale: Vec3
}

export const IDENTITY_XFORM: Xform = Object.freeze({
  mode: 'XYZ',
  location: [0, 0, 0],
  rotation: [0, 0, 0],
  scale: [1, 1, 1],
}) as Xform

export function rotationLength(mode: RotationMode): 3 | 4 {
  return mode === 'QUATERNION' || mode === 'AXIS_ANGLE' ? 4 : 3
}

export function isRotationMode(v: unknown): v is RotationMode {
  return typeof v === 'string' && (ROTATION_MODES as readonly string[]).includes(v)
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string }

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return `an array of ${v.length}`
  if (v instanceof Uint8Array) return `${v.length} bytes`
  if (typeof v === 'number') return String(v)
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`
  return `a ${typeof v}`
}

/** Validates an `Xform` handed to us by a caller (agent input, tests). */
export function checkXform(x: unknown): Checked<Xform> {
  if (typeof x !== 'object' || x === null) return { ok: false, reason: `xform must be an object, got ${describe(x)}` }
  const o = x as Record<string, unknown>
  if (!isRotationMode(o.mode)) return { ok: false, reason: `xform.mode must be one of ${ROTATION_MODES.join(', ')}, got ${describe(o.mode)}` }
  const parts: Array<[string, unknown, number]> = [
    ['location', o.location, 3],
    ['rotation', o.rotation, rotationLength(o.mode)],
    ['scale', o.scale, 3],
  ]
  for (const [name, v, n] of parts) {
    if (!Array.isArray(v) || v.length !== n) return { ok: false, reason: `xform.${name} must be ${n} numbers for mode ${o.mode}, got ${describe(v)}` }
    const bad = v.findIndex((e) => typeof e !== 'number' || !Number.isFinite(e))
    if (bad >= 0) return { ok: false, reason: `xform.${name}[${bad}] must be a finite number, got ${describe(v[bad])}` }
  }
  return {
    ok: true,
    value: { mode: o.mode, location: o.location as Vec3, rotation: o.rotation as number[], scale: o.scale as Vec3 },
  }
}

/** The three channels of a transform, in the order of their times in the stored value. */
export const XFORM_CHANNELS = ['location', 'rotation', 'scale'] as const
export type XformChannel = (typeof XFORM_CHANNELS)[number]

/** When each channel was last edited: ms since the Unix epoch, server-referenced; 0 = unknown. */
export type ChannelTimes = [location: number, rotation: number, scale: number]

/** A transform with the edit time of each of its channels: what the doc stores. */
export interface StampedXform {
  xform: Xform
  times: ChannelTimes
}

export function isXformChannel(v: unknown): v is XformChannel {
  return typeof v === 'string' && (XFORM_CHANNELS as readonly string[]).includes(v)
}

/** The stored value without times (read back with times 0). */
export function encodeXform(x: Xform): number[] {
  const out = [ROTATION_MODES.indexOf(x.mode)]
  for (const v of x.location) out.push(Math.fround(v))
  for (const v of x.rotation) out.push(Math.fround(v))
  for (const v of x.scale) out.push(Math.fround(v))
  return out
}

export function encodeStampedXform(s: StampedXform): number[] {
  const out = encodeXform(s.xform)
  for (const t of s.times) out.push(t)
  return out
}

/** Reads a stored xform value that any Yjs client may have written; times are not checked. */
export function decodeXform(stored: unknown): Checked<Xform> {
  const c = decodeStampedXform(stored)
  return c.ok ? { ok: true, value: c.value.xform } : c
}

/** Reads a stored xform value with its channel times (0 for a value stored without them). */
export function decodeStampedXform(stored: unknown): Checked<StampedXform> {
  if (!Array.isArray(stored)) return { ok: false, reason: `xform must be an array [mode, location×3, rotation×3|4, scale×3, times×3], got ${describe(stored)}` }
  const code = stored[0]
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code >= ROTATION_MODES.length) {
    return { ok: false, reason: `xform[0] must be a rotation mode code 0..${ROTATION_MODES.length - 1}, got ${describe(code)}` }
  }
  const mode = ROTATION_MODES[code]!
  const r = rotationLength(mode)
  const expected = 1 + 3 + r + 3
  if (stored.length !== expected && stored.length !== expected + 3) {
    return { ok: false, reason: `xform for mode ${mode} must hold ${expected} values (or ${expected + 3} with channel times), got ${stored.length}` }
  }
  for (let i = 1; i < stored.length; i++) {
    const v = stored[i]
    if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, reason: `xform[${i}] must be a finite number, got ${describe(v)}` }
    if (i >= expected && v < 0) return { ok: false, reason: `xform[${i}] is a channel time and must not be negative, got ${v}` }
  }
  const n = stored as number[]
  return {
    ok: true,
    value: {
      xform: {
        mode,
        location: [n[1]!, n[2]!, n[3]!],
        rotation: n.slice(4, 4 + r),
        scale: [n[4 + r]!, n[5 + r]!, n[6 + r]!],
      },
      times: stored.length === expected ? [0, 0, 0] : [n[expected]!, n[expected + 1]!, n[expected + 2]!],
    },
  }
}

export function xformEquals(a: Xform, b: Xform): boolean {
  return (
    a.mode === b.mode &&
    a.location.every((v, i) => v === b.location[i]) &&
    a.rotation.length === b.rotation.length &&
    a.rotation.every((v, i) => v === b.rotation[i]) &&
    a.scale.every((v, i) => v === b.scale[i])
  )
}

export { describe as describeValue }
