/**
 * An armature's bones, at rest and posed, as line segments in the armature
 * object's space. Blender's rest matrix of a bone: at its head, its Y axis
 * along head → tail, turned by its roll about that axis. A posed bone:
 * parent's posed matrix × the bone's rest relative to its parent × the pose
 * bone's own transform (what the doc's `pose` map holds).
 */
import * as THREE from 'three'
import type { Xform } from '../../src/crdt/index.js'
import type { RigGeometry } from './geometry-decode.js'
import { octahedron } from './gizmos.js'
import { applyXform } from './xform.js'

const Y = new THREE.Vector3(0, 1, 0)

export interface RestBone {
  name: string
  parent: number
  length: number
  /** Rest matrix in armature space (matrix_local). */
  rest: THREE.Matrix4
  /** Rest relative to the parent's rest (the rest itself for a root). */
  relative: THREE.Matrix4
}

export function restBones(rig: RigGeometry): RestBone[] {
  const out: RestBone[] = []
  for (const b of rig.bones) {
    const head = new THREE.Vector3(...b.head)
    const dir = new THREE.Vector3(...b.tail).sub(head)
    const length = dir.length()
    const q = length > 0 ? new THREE.Quaternion().setFromUnitVectors(Y, dir.clone().normalize()) : new THREE.Quaternion()
    q.multiply(new THREE.Quaternion().setFromAxisAngle(Y, b.roll))
    const rest = new THREE.Matrix4().compose(head, q, new THREE.Vector3(1, 1, 1))
    const relative = b.parent < 0 ? rest.clone() : out[b.parent]!.rest.clone().invert().multiply(rest)
    out.push({ name: b.name, parent: b.parent, length, rest, relative })
  }
  return out
}

const basis = new THREE.Object3D()

/** Line segments of every bone (an octahedron each) as posed by `pose`, and their bounds. */
export function posedLines(bones: RestBone[], pose: Record<string, Xform>): { points: number[]; bounds: THREE.Box3 } {
  const posed: THREE.Matrix4[] = []
  const points: number[] = []
  const bounds = new THREE.Box3()
  const v = new THREE.Vector3()
  for (const b of bones) {
    const m = b.parent < 0 ? b.relative.clone() : posed[b.parent]!.clone().multiply(b.relative)
    const x = pose[b.name]
    if (x) {
      applyXform(basis, x)
      basis.updateMatrix()
      m.multiply(basis.matrix)
    }
    posed.push(m)
    const local = octahedron(Math.max(b.length, 1e-4))
    for (let i = 0; i < local.length; i += 3) {
      v.set(local[i]!, local[i + 1]!, local[i + 2]!).applyMatrix4(m)
      points.push(v.x, v.y, v.z)
      bounds.expandByPoint(v)
    }
  }
  return { points, bounds }
}
