/**
 * Rotations as unit quaternions, the way Blender turns each rotation mode into
 * a matrix, and Blender's Z-up axes as glTF's Y-up ones.
 *
 * Blender's Euler order names the order the axes are applied in: 'XYZ' is X
 * first, then Y, then Z, so R = Rz·Ry·Rx and q = qz⊗qy⊗qx. Axis-angle is
 * [angle, x, y, z] with the axis normalised (a zero axis is no rotation). A
 * stored quaternion need not be unit length (Blender normalises it when it
 * builds the matrix), so it is normalised here too.
 */
import type { Xform } from '../crdt/index.js'

/** [w, x, y, z], unit length. */
export type Quat = [number, number, number, number]

/** The transform's rotation as a unit quaternion [w, x, y, z], in Blender's axes. */
export function toQuaternion(x: Pick<Xform, 'mode' | 'rotation'>): Quat {
  const r = x.rotation
  return quaternionOf(x.mode, r[0]!, r[1]!, r[2]!, r[3] ?? 0)
}

/**
 * The same from the rotation's numbers as stored (a, b, c, d: quaternion w x y
 * z, axis-angle angle x y z, Euler x y z), into `out`: exports call it once
 * per sample, so it allocates nothing.
 */
export function quaternionOf(mode: string, a: number, b: number, c: number, d: number, out: Quat = [1, 0, 0, 0]): Quat {
  let w: number, x: number, y: number, z: number
  if (mode === 'QUATERNION') [w, x, y, z] = [a, b, c, d]
  else if (mode === 'AXIS_ANGLE') {
    const n = Math.hypot(b, c, d)
    if (!(n > 0)) return setQ(out, 1, 0, 0, 0)
    const s = Math.sin(a / 2) / n
    ;[w, x, y, z] = [Math.cos(a / 2), b * s, c * s, d * s]
  } else {
    // Euler: angles stored per axis (x, y, z), applied in the mode's order.
    w = 1
    x = y = z = 0
    for (let i = 0; i < 3; i++) {
      const axis = mode.charCodeAt(i) - 88 // 'X' 0, 'Y' 1, 'Z' 2
      const t = (axis === 0 ? a : axis === 1 ? b : c) / 2
      const cs = Math.cos(t)
      const sn = Math.sin(t)
      // q = q_axis ⊗ q
      const [qw, qx, qy, qz] = [w, x, y, z]
      if (axis === 0) [w, x, y, z] = [cs * qw - sn * qx, cs * qx + sn * qw, cs * qy - sn * qz, cs * qz + sn * qy]
      else if (axis === 1) [w, x, y, z] = [cs * qw - sn * qy, cs * qx + sn * qz, cs * qy + sn * qw, cs * qz - sn * qx]
      else [w, x, y, z] = [cs * qw - sn * qz, cs * qx - sn * qy, cs * qy + sn * qx, cs * qz + sn * qw]
    }
  }
  const n = Math.hypot(w, x, y, z)
  if (!(n > 0) || !Number.isFinite(n)) return setQ(out, 1, 0, 0, 0)
  return setQ(out, w / n, x / n, y / n, z / n)
}

function setQ(out: Quat, w: number, x: number, y: number, z: number): Quat {
  out[0] = w
  out[1] = x
  out[2] = y
  out[3] = z
  return out
}

/**
 * Blender (right-handed, Z up, -Y forward) to glTF (right-handed, Y up, +Z
 * forward): a rotation of -90° about X, the conversion Blender's own glTF
 * exporter and importer use. Applied to every node's local transform, it
 * conjugates the whole hierarchy, so world transforms convert the same way.
 */
export function locationToYUp(v: ArrayLike<number>): [number, number, number] {
  return [v[0]!, v[2]!, 0 - v[1]!] // 0 - y: no -0 for a zero
}

export function scaleToYUp(v: ArrayLike<number>): [number, number, number] {
  return [v[0]!, v[2]!, v[1]!]
}

/** A Blender [w, x, y, z] quaternion as glTF's [x, y, z, w] in Y-up axes. */
export function quaternionToYUp(q: Quat): [number, number, number, number] {
  return [q[1], q[3], 0 - q[2], q[0]]
}
