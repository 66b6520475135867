/**
 * What each object looks like when the log holds no geometry for it: a box
 * for a mesh, axes for an empty, Blender-like gizmos for lights, cameras and
 * armatures, a small diamond for anything else. Sizes are Blender's display
 * sizes at their defaults, roughly. Geometry and materials are shared, so a
 * thousand objects cost a thousand small draw calls and no more memory.
 *
 * Every visual carries an invisible pick proxy (lines are hard to hit with a
 * ray) and its bounds in the object's local space, for selection outlines.
 */
import * as THREE from 'three'

export interface Visual {
  object: THREE.Object3D
  /** What a click's ray is tested against. */
  pick: THREE.Mesh
  /** Local bounds, for outlines. */
  bounds: THREE.Box3
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

const boxGeo = new THREE.BoxGeometry(1, 1, 1)
const boxEdges = new THREE.EdgesGeometry(boxGeo)
const meshMat = new THREE.MeshLambertMaterial({ color: COLORS.mesh })
const edgeMat = new THREE.LineBasicMaterial({ color: COLORS.edge })
const proxyMat = new THREE.MeshBasicMaterial()
const sphereGeo = new THREE.SphereGeometry(1, 10, 8)
const lineMats = new Map<number, THREE.LineBasicMaterial>()

function lineMat(color: number): THREE.LineBasicMaterial {
  let m = lineMats.get(color)
  if (!m) lineMats.set(color, (m = new THREE.LineBasicMaterial({ color })))
  return m
}

function segments(points: number[]): THREE.BufferGeometry {
  return new THREE.BufferGeometry().setAttribute('position', new THREE.Float32BufferAttribute(points, 3))
}

function proxy(geo: THREE.BufferGeometry, scale = 1): THREE.Mesh {
  const m = new THREE.Mesh(geo, proxyMat)
  m.scale.setScalar(scale)
  m.visible = false
  return m
}

const shared = new Map<string, THREE.BufferGeometry>()
function once(key: string, make: () => THREE.BufferGeometry): THREE.BufferGeometry {
  let g = shared.get(key)
  if (!g) shared.set(key, (g = make()))
  return g
}

function lines(key: string, color: number, make: () => number[], pickScale: number, bounds: THREE.Box3): Visual {
  const g = new THREE.Group()
  g.add(new THREE.LineSegments(once(key, () => segments(make())), lineMat(color)))
  const pick = proxy(sphereGeo, pickScale)
  g.add(pick)
  return { object: g, pick, bounds }
}

const cube = (s: number) => new THREE.Box3(new THREE.Vector3(-s, -s, -s), new THREE.Vector3(s, s, s))

export function boxVisual(): Visual {
  const g = new THREE.Group()
  const mesh = new THREE.Mesh(boxGeo, meshMat)
  g.add(mesh, new THREE.LineSegments(boxEdges, edgeMat))
  return { object: g, pick: mesh, bounds: cube(0.5) }
}

/** A mesh drawn from its geometry (local coordinates, Blender's axes). */
export function meshVisual(geo: THREE.BufferGeometry): Visual {
  geo.computeBoundingBox()
  const mesh = new THREE.Mesh(geo, meshMat)
  return { object: mesh, pick: mesh, bounds: geo.boundingBox!.clone() }
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
  // A line to the floor beneath, as Blender draws it.
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
  const g = new THREE.Group()
  g.add(new THREE.LineSegments(segments(points), lineMat(COLORS.bone)))
  const size = bounds.getSize(new THREE.Vector3())
  const pick = new THREE.Mesh(boxGeo, proxyMat)
  bounds.getCenter(pick.position)
  pick.scale.set(Math.max(size.x, 0.1), Math.max(size.y, 0.1), Math.max(size.z, 0.1))
  pick.visible = false
  g.add(pick)
  return { object: g, pick, bounds }
}

/** The stand-in visual for an object of a Blender type, when nothing better is known. */
export function fallbackVisual(type: string | null): Visual {
  switch (type) {
    case 'MESH':
      return boxVisual()
    case 'EMPTY':
      return lines('empty', COLORS.empty, emptyAxes, 0.3, cube(0.5))
    case 'LIGHT': {
      const v = lines('light', COLORS.light, lightRays, 0.3, new THREE.Box3(new THREE.Vector3(-0.3, -0.3, -1), new THREE.Vector3(0.3, 0.3, 0.3)))
      const bulb = new THREE.Mesh(sphereGeo, new THREE.MeshBasicMaterial({ color: COLORS.light }))
      bulb.scale.setScalar(0.08)
      v.object.add(bulb)
      return v
    }
    case 'CAMERA':
      return lines('camera', COLORS.camera, cameraFrustum, 0.45, new THREE.Box3(new THREE.Vector3(-0.5, -0.3, -1), new THREE.Vector3(0.5, 0.5, 0)))
    case 'ARMATURE':
      return lines('armature', COLORS.bone, () => octahedron(1), 0.35, new THREE.Box3(new THREE.Vector3(-0.12, 0, -0.12), new THREE.Vector3(0.12, 1, 0.12)))
    default:
      return lines('other', COLORS.other, diamond, 0.3, cube(0.3))
  }
}
