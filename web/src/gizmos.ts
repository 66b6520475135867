/**
 * What each object looks like when the log holds no geometry for it: a box
 * for a mesh, axes for an empty, Blender-like gizmos for lights, cameras and
 * armatures, a small diamond for anything else. Sizes are Blender's display
 * sizes at their defaults, roughly. The stand-ins are drawn in batches (see
 * batches.ts); a mesh built from real geometry is its own three.js object.
 *
 * Every visual carries an invisible pick proxy (lines are hard to hit with a
 * ray) and its bounds in the object's local space, for selection outlines.
 */
import * as THREE from 'three'
import type { BatchMember } from './batches.js'

export interface Visual {
  /** Drawn in the shared batches, at the object's world matrix. */
  member: BatchMember | null
  /** Drawn as a child of the object's node (a mesh from geometry). */
  object: THREE.Object3D | null
  /** What a click's ray is tested against; a child of the node, never drawn. */
  pick: THREE.Mesh
  /** Local bounds, for outlines and framing. */
  bounds: THREE.Box3
  /** Rebuilds the batch member from the object's new values (a rig's pose); null for visuals that do not change. */
  refresh?: (o: import('./scene-graph.js').ViewObject) => BatchMember
}

export const COLORS = {
  mesh: 0x8f99a6,
  edge: 0x15171a,
  empty: 0xc8ccd2,
  light: 0xffd166,
  camera: 0xaeb6bf,
  bone: 0x7dc4e4,
  other: 0xb69cf0,
}

export const meshMaterial = new THREE.MeshLambertMaterial({ color: COLORS.mesh })
const proxyMat = new THREE.MeshBasicMaterial()
const sphereGeo = new THREE.SphereGeometry(1, 8, 6)
const boxGeo = new THREE.BoxGeometry(1, 1, 1)

function proxy(geo: THREE.BufferGeometry, bounds?: THREE.Box3, scale = 1): THREE.Mesh {
  const m = new THREE.Mesh(geo, proxyMat)
  if (bounds) {
    bounds.getCenter(m.position)
    const s = bounds.getSize(new THREE.Vector3())
    m.scale.set(Math.max(s.x, 0.1), Math.max(s.y, 0.1), Math.max(s.z, 0.1))
  } else m.scale.setScalar(scale)
  m.visible = false
  return m
}

const shared = new Map<string, BatchMember>()
/** Members of one kind share their arrays: a thousand empties hold one copy of the axes. */
function member(key: string, color: number, lines: () => number[], solid: THREE.Box3 | null = null): BatchMember {
  let mb = shared.get(key)
  if (!mb) shared.set(key, (mb = { lines: new Float32Array(lines()), color: new THREE.Color(color), solid }))
  return mb
}

const cube = (s: number) => new THREE.Box3(new THREE.Vector3(-s, -s, -s), new THREE.Vector3(s, s, s))

function boxEdges(): number[] {
  const c = [-0.5, 0.5]
  const out: number[] = []
  for (const a of c) for (const b of c) {
    out.push(-0.5, a, b, 0.5, a, b)
    out.push(a, -0.5, b, a, 0.5, b)
    out.push(a, b, -0.5, a, b, 0.5)
  }
  return out
}

export function boxVisual(): Visual {
  const bounds = cube(0.5)
  return { member: member('box', COLORS.edge, boxEdges, bounds), object: null, pick: proxy(boxGeo, bounds), bounds }
}

/** A mesh drawn from its geometry (local coordinates, Blender's axes). */
export function meshVisual(geo: THREE.BufferGeometry): Visual {
  geo.computeBoundingBox()
  const mesh = new THREE.Mesh(geo, meshMaterial)
  return { member: null, object: mesh, pick: mesh, bounds: geo.boundingBox!.clone() }
}

function emptyAxes(): number[] {
  return [-0.5, 0, 0, 0.5, 0, 0, 0, -0.5, 0, 0, 0.5, 0, 0, 0, -0.5, 0, 0, 0.5]
}

function lightRays(): number[] {
  const out: number[] = []
  for (let i = 0; i < 8; i++) {
    const a = (i / 8) * Math.PI * 2
    out.push(Math.cos(a) * 0.14, Math.sin(a) * 0.14, 0, Math.cos(a) * 0.28, Math.sin(a) * 0.28, 0)
  }
  // The bulb, a small star, and a line to the floor beneath, as Blender draws it.
  for (const [x, y, z] of [[0.08, 0, 0], [0, 0.08, 0], [0, 0, 0.08]] as const) out.push(-x, -y, -z, x, y, z)
  out.push(0, 0, -0.14, 0, 0, -1)
  return out
}

/** Looks down its local -Z with +Y up, as Blender cameras do. */
function cameraFrustum(): number[] {
  const [w, hh, d] = [0.5, 0.28, 1]
  const c = [[-w, -hh], [w, -hh], [w, hh], [-w, hh]] as const
  const out: number[] = []
  for (const [x, y] of c) out.push(0, 0, 0, x, y, -d)
  for (let i = 0; i < 4; i++) out.push(c[i]![0], c[i]![1], -d, c[(i + 1) % 4]![0], c[(i + 1) % 4]![1], -d)
  // The "up" triangle.
  out.push(-w * 0.6, hh * 1.1, -d, 0, hh * 1.7, -d, 0, hh * 1.7, -d, w * 0.6, hh * 1.1, -d, w * 0.6, hh * 1.1, -d, -w * 0.6, hh * 1.1, -d)
  return out
}

/** Blender's octahedral bone: from the head at the origin along +Y. */
export function octahedron(length: number, width = 0.1 * length, head = [0, 0, 0], dir = [0, 1, 0]): number[] {
  const h = new THREE.Vector3(...(head as [number, number, number]))
  const y = new THREE.Vector3(...(dir as [number, number, number])).normalize()
  const x = new THREE.Vector3(1, 0, 0)
  if (Math.abs(x.dot(y)) > 0.9) x.set(0, 0, 1)
  const z = new THREE.Vector3().crossVectors(x, y).normalize()
  x.crossVectors(y, z).normalize()
  const tail = h.clone().addScaledVector(y, length)
  const mid = h.clone().addScaledVector(y, length * 0.1)
  const ring = [x, z, x.clone().negate(), z.clone().negate()].map((v) => mid.clone().addScaledVector(v, width))
  const out: number[] = []
  for (let i = 0; i < 4; i++) {
    const a = ring[i]!
    const b = ring[(i + 1) % 4]!
    out.push(...h.toArray(), ...a.toArray(), ...a.toArray(), ...tail.toArray(), ...a.toArray(), ...b.toArray())
  }
  return out
}

function diamond(): number[] {
  const p = [[0.3, 0, 0], [0, 0.3, 0], [-0.3, 0, 0], [0, -0.3, 0]]
  const out: number[] = []
  for (let i = 0; i < 4; i++) out.push(...p[i]!, ...p[(i + 1) % 4]!, ...p[i]!, 0, 0, 0.3, ...p[i]!, 0, 0, -0.3)
  return out
}

export function bonesVisual(points: number[], bounds: THREE.Box3): Visual {
  return { member: { lines: new Float32Array(points), color: new THREE.Color(COLORS.bone), solid: null }, object: null, pick: proxy(boxGeo, bounds), bounds }
}

function lines(key: string, color: number, make: () => number[], pickRadius: number, bounds: THREE.Box3): Visual {
  return { member: member(key, color, make), object: null, pick: proxy(sphereGeo, undefined, pickRadius), bounds }
}

/** The stand-in visual for an object of a Blender type, when nothing better is known. */
export function fallbackVisual(type: string | null): Visual {
  switch (type) {
    case 'MESH':
      return boxVisual()
    case 'EMPTY':
      return lines('empty', COLORS.empty, emptyAxes, 0.3, cube(0.5))
    case 'LIGHT':
      return lines('light', COLORS.light, lightRays, 0.3, new THREE.Box3(new THREE.Vector3(-0.3, -0.3, -1), new THREE.Vector3(0.3, 0.3, 0.3)))
    case 'CAMERA':
      return lines('camera', COLORS.camera, cameraFrustum, 0.45, new THREE.Box3(new THREE.Vector3(-0.5, -0.3, -1), new THREE.Vector3(0.5, 0.5, 0)))
    case 'ARMATURE':
      return lines('armature', COLORS.bone, () => octahedron(1), 0.35, new THREE.Box3(new THREE.Vector3(-0.12, 0, -0.12), new THREE.Vector3(0.12, 1, 0.12)))
    default:
      return lines('other', COLORS.other, diamond, 0.3, cube(0.3))
  }
}
