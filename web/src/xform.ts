/**
 * Blender transforms on three.js objects. Blender is Z-up and three.js Y-up:
 * the scene's root turns one into the other (see `blenderRoot`), so every
 * object below it takes Blender's local values unchanged.
 *
 * Blender's Euler modes name the order the rotations apply in (XYZ: X first,
 * so the matrix is Rz·Ry·Rx); three.js names the order of the factors
 * (XYZ: Rx·Ry·Rz). The same rotation is the reversed string.
 */
import * as THREE from 'three'
import type { Xform } from '../../src/crdt/index.js'

const axis = new THREE.Vector3()
const euler = new THREE.Euler()

export function applyXform(o: THREE.Object3D, x: Xform): void {
  o.position.set(x.location[0], x.location[1], x.location[2])
  const r = x.rotation
  if (x.mode === 'QUATERNION') {
    o.quaternion.set(r[1]!, r[2]!, r[3]!, r[0]!)
    if (o.quaternion.lengthSq() === 0) o.quaternion.identity()
    else o.quaternion.normalize()
  } else if (x.mode === 'AXIS_ANGLE') {
    axis.set(r[1]!, r[2]!, r[3]!)
    if (axis.lengthSq() === 0) o.quaternion.identity()
    else o.quaternion.setFromAxisAngle(axis.normalize(), r[0]!)
  } else {
    euler.set(r[0]!, r[1]!, r[2]!, x.mode.split('').reverse().join('') as THREE.EulerOrder)
    o.quaternion.setFromEuler(euler)
  }
  o.scale.set(x.scale[0], x.scale[1], x.scale[2])
}

/** The group whose children live in Blender's coordinates: +Z up, +Y away from the default view. */
export function blenderRoot(): THREE.Group {
  const g = new THREE.Group()
  g.name = 'blender-space'
  g.rotation.x = -Math.PI / 2
  return g
}
