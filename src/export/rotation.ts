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

const IDENTITY: Quat = [1, 0, 0, 0]

export function multiply(a: Quat, b: Quat): Quat {
  const [aw, ax, ay, az] = a
  const [bw, bx, by, bz] = b
  return [
    aw * bw - ax * bx - ay * by - az * bz,
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
  ]
}

function normalize(q: Quat): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3])
  if (!(n > 0) || !Number.isFinite(n)) return [...IDENTITY]
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n]
}

function axisQuat(axis: 'X' | 'Y' | 'Z', angle: number): Quat {
  const s = Math.sin(angle / 2)
  const c = Math.cos(angle / 2)
  return axis === 'X' ? [c, s, 0, 0] : axis === 'Y' ? [c, 0, s, 0] : [c, 0, 0, s]
}

/** The transform's rotation as a unit quaternion [w, x, y, z], in Blender's axes. */
export function toQuaternion(x: Pick<Xform, 'mode' | 'rotation'>): Quat {
  const r = x.rotation
  switch (x.mode) {
    case 'QUATERNION':
      return normalize([r[0]!, r[1]!, r[2]!, r[3]!])
    case 'AXIS_ANGLE': {
      const n = Math.hypot(r[1]!, r[2]!, r[3]!)
      if (!(n > 0)) return [...IDENTITY]
      const s = Math.sin(r[0]! / 2) / n
      return normalize([Math.cos(r[0]! / 2), r[1]! * s, r[2]! * s, r[3]! * s])
    }
    default: {
      // Euler: angles are stored per axis (x, y, z), applied in the mode's order.
      const angle = { X: r[0]!, Y: r[1]!, Z: r[2]! }
      let q: Quat = [...IDENTITY]
      for (const axis of x.mode as string) {
        const a = axis as 'X' | 'Y' | 'Z'
        q = multiply(axisQuat(a, angle[a]), q)
      }
      return normalize(q)
    }
  }
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
