/**
 * The quaternion an export writes for each rotation mode, checked against
 * rotation matrices built a different way (axis matrices multiplied in
 * Blender's order, Rodrigues' formula for axis-angle). Blender's own
 * conversion is checked against real Blender in gltf-blender.e2e.test.ts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ROTATION_MODES, type RotationMode } from '../../src/crdt/index.js'
import { locationToYUp, quaternionToYUp, toQuaternion } from '../../src/export/rotation.js'
import { checkProperty } from '../helpers/prop.js'

type M = number[][]
const mul = (a: M, b: M): M => a.map((row) => [0, 1, 2].map((j) => row[0]! * b[0]![j]! + row[1]! * b[1]![j]! + row[2]! * b[2]![j]!))
const apply = (m: M, v: number[]) => m.map((row) => row[0]! * v[0]! + row[1]! * v[1]! + row[2]! * v[2]!)
const axis = (a: string, t: number): M => {
  const [c, s] = [Math.cos(t), Math.sin(t)]
  if (a === 'X') return [[1, 0, 0], [0, c, -s], [0, s, c]]
  if (a === 'Y') return [[c, 0, s], [0, 1, 0], [-s, 0, c]]
  return [[c, -s, 0], [s, c, 0], [0, 0, 1]]
}

/** Blender's matrix for a rotation: Euler 'ABC' applies A first (R = R_C·R_B·R_A). */
function reference(mode: RotationMode, r: number[]): M {
  if (mode === 'QUATERNION') {
    const n = Math.hypot(...r)
    return quatMatrix(r.map((v) => v / n))
  }
  if (mode === 'AXIS_ANGLE') {
    const n = Math.hypot(r[1]!, r[2]!, r[3]!)
    const [x, y, z] = [r[1]! / n, r[2]! / n, r[3]! / n]
    const [c, s, t] = [Math.cos(r[0]!), Math.sin(r[0]!), 1 - Math.cos(r[0]!)]
    return [
      [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
      [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
      [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
    ]
  }
  const angle: Record<string, number> = { X: r[0]!, Y: r[1]!, Z: r[2]! }
  return [...mode].reduce<M>((m, a) => mul(axis(a, angle[a]!), m), axis('X', 0))
}

function quatMatrix([w, x, y, z]: number[]): M {
  return [
    [1 - 2 * (y! * y! + z! * z!), 2 * (x! * y! - w! * z!), 2 * (x! * z! + w! * y!)],
    [2 * (x! * y! + w! * z!), 1 - 2 * (x! * x! + z! * z!), 2 * (y! * z! - w! * x!)],
    [2 * (x! * z! - w! * y!), 2 * (y! * z! + w! * x!), 1 - 2 * (x! * x! + y! * y!)],
  ]
}

const close = (a: M, b: M) => a.every((row, i) => row.every((v, j) => Math.abs(v - b[i]![j]!) < 1e-9))
const angle = fc.double({ min: -7, max: 7, noNaN: true })
const rotationArb: fc.Arbitrary<[RotationMode, number[]]> = fc.constantFrom(...ROTATION_MODES).chain((mode) =>
  mode === 'QUATERNION' || mode === 'AXIS_ANGLE'
    ? fc.tuple(fc.constant<RotationMode>(mode), fc.array(angle, { minLength: 4, maxLength: 4 }).filter(([w, x, y, z]) => Math.hypot(mode === 'QUATERNION' ? w! : 0, x!, y!, z!) > 1e-3))
    : fc.tuple(fc.constant<RotationMode>(mode), fc.array(angle, { minLength: 3, maxLength: 3 })),
)

// Blender's Z-up axes to glTF's Y-up ones: a rotation of -90° about X.
const C = axis('X', -Math.PI / 2)
const Ct = C[0]!.map((_, j) => C.map((row) => row[j]!))

describe('export rotations', () => {
  it('every rotation mode becomes the unit quaternion of the same rotation', () =>
    checkProperty(
      'export quaternion per mode',
      fc.property(rotationArb, ([mode, rotation]) => {
        const q = toQuaternion({ mode, rotation })
        expect(Math.abs(Math.hypot(...q) - 1)).toBeLessThan(1e-12)
        expect(close(quatMatrix(q), reference(mode, rotation))).toBe(true)
      }),
      { numRuns: 500 },
    ))

  it('the Y-up conversion turns the whole transform by -90° about X (C·R·Cᵀ, C·v)', () =>
    checkProperty(
      'export y-up',
      fc.property(rotationArb, fc.tuple(angle, angle, angle), ([mode, rotation], v) => {
        const q = toQuaternion({ mode, rotation })
        const [x, y, z, w] = quaternionToYUp(q)
        expect(close(quatMatrix([w, x, y, z]), mul(mul(C, quatMatrix(q)), Ct))).toBe(true)
        const moved = locationToYUp(v)
        apply(C, v).forEach((c, i) => expect(moved[i]).toBeCloseTo(c, 12))
      }),
      { numRuns: 200 },
    ))

  it('a zero-length quaternion or axis is no rotation, as in Blender', () => {
    expect(toQuaternion({ mode: 'QUATERNION', rotation: [0, 0, 0, 0] })).toEqual([1, 0, 0, 0])
    expect(toQuaternion({ mode: 'AXIS_ANGLE', rotation: [1.2, 0, 0, 0] })).toEqual([1, 0, 0, 0])
  })
})
