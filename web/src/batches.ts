/**
 * Every object's stand-in drawn in two draw calls: one line batch (gizmo
 * lines and box edges of all objects, in world space, coloured per vertex)
 * and one instanced solid box. A thousand objects drawn one by one cost a
 * thousand draw calls, which software WebGL (SwiftShader, what headless and
 * GPU-less browsers use) pays dearly for; rewriting a few tens of thousands of
 * vertices when something moved costs well under a millisecond.
 *
 * Members are keyed by object id; freed slots are filled by moving the last
 * member in, so the buffers stay packed.
 */
import * as THREE from 'three'

export interface BatchMember {
  /** Line segment end points in the object's local space (x, y, z per point). */
  lines: Float32Array
  /** One colour for all of the member's lines. */
  color: THREE.Color
  /** A solid box with these local bounds, or null. */
  solid: THREE.Box3 | null
}

interface Slot {
  member: BatchMember
  /** First vertex in the line buffer, vertex count. */
  v0: number
  vn: number
  /** Instance index of the solid box, or -1. */
  box: number
}

const m = new THREE.Matrix4()
const boxMatrix = new THREE.Matrix4()
const size = new THREE.Vector3()
const center = new THREE.Vector3()
const zero = new THREE.Matrix4().makeScale(0, 0, 0)

export class Batches {
  readonly group = new THREE.Group()
  private readonly slots = new Map<string, Slot>()
  private lineKeys: string[] = []
  private boxKeys: string[] = []
  private vertices = 0
  private positions = new Float32Array(3 * 1024)
  private colors = new Float32Array(3 * 1024)
  private lineGeo = new THREE.BufferGeometry()
  private readonly lines: THREE.LineSegments
  private boxes: THREE.InstancedMesh
  private colorsDirty = true

  constructor(private readonly boxMaterial: THREE.Material) {
    this.lines = new THREE.LineSegments(this.lineGeo, new THREE.LineBasicMaterial({ vertexColors: true }))
    this.lines.frustumCulled = false
    this.boxes = this.makeBoxes(256)
    this.group.add(this.lines, this.boxes)
    this.group.name = 'batches'
    this.attach()
  }

  get count(): number {
    return this.slots.size
  }

  set(key: string, member: BatchMember): void {
    const old = this.slots.get(key)
    if (old && old.member === member) return
    if (old) this.remove(key)
    const vn = member.lines.length / 3
    this.reserve(this.vertices + vn)
    const slot: Slot = { member, v0: this.vertices, vn, box: -1 }
    this.vertices += vn
    this.lineKeys.push(key)
    const c = member.color
    for (let i = 0; i < vn; i++) this.colors.set([c.r, c.g, c.b], (slot.v0 + i) * 3)
    if (member.solid) {
      if (this.boxKeys.length >= this.boxes.instanceMatrix.count) this.growBoxes()
      slot.box = this.boxKeys.length
      this.boxKeys.push(key)
      this.boxes.count = this.boxKeys.length
    }
    this.slots.set(key, slot)
    this.colorsDirty = true
  }

  remove(key: string): void {
    const slot = this.slots.get(key)
    if (!slot) return
    this.slots.delete(key)
    // Lines: move every later member down (members differ in size), keeping the buffer packed.
    const idx = this.lineKeys.indexOf(key)
    this.lineKeys.splice(idx, 1)
    this.positions.copyWithin(slot.v0 * 3, (slot.v0 + slot.vn) * 3, this.vertices * 3)
    this.colors.copyWithin(slot.v0 * 3, (slot.v0 + slot.vn) * 3, this.vertices * 3)
    this.vertices -= slot.vn
    for (let i = idx; i < this.lineKeys.length; i++) this.slots.get(this.lineKeys[i]!)!.v0 -= slot.vn
    if (slot.box >= 0) {
      const last = this.boxKeys.pop()!
      if (last !== key) {
        this.boxKeys[slot.box] = last
        this.slots.get(last)!.box = slot.box
      }
      this.boxes.count = this.boxKeys.length
    }
    this.colorsDirty = true
  }

  /** Writes every member at its object's world matrix (`matrixOf` null hides it). */
  update(matrixOf: (key: string) => THREE.Matrix4 | null): void {
    const p = this.positions
    for (const key of this.lineKeys) {
      const s = this.slots.get(key)!
      const world = matrixOf(key)
      const e = (world ?? zero).elements
      const src = s.member.lines
      for (let i = 0, o = s.v0 * 3; i < src.length; i += 3, o += 3) {
        const x = src[i]!
        const y = src[i + 1]!
        const z = src[i + 2]!
        p[o] = e[0]! * x + e[4]! * y + e[8]! * z + e[12]!
        p[o + 1] = e[1]! * x + e[5]! * y + e[9]! * z + e[13]!
        p[o + 2] = e[2]! * x + e[6]! * y + e[10]! * z + e[14]!
      }
      if (s.box >= 0) {
        if (!world) this.boxes.setMatrixAt(s.box, zero)
        else {
          const b = s.member.solid!
          b.getSize(size)
          b.getCenter(center)
          boxMatrix.makeScale(size.x, size.y, size.z).setPosition(center)
          this.boxes.setMatrixAt(s.box, m.multiplyMatrices(world, boxMatrix))
        }
      }
    }
    this.attach()
    this.lineGeo.attributes.position!.needsUpdate = true
    if (this.colorsDirty) {
      this.lineGeo.attributes.color!.needsUpdate = true
      this.colorsDirty = false
    }
    this.lineGeo.setDrawRange(0, this.vertices)
    this.boxes.instanceMatrix.needsUpdate = true
  }

  private attach(): void {
    if (this.lineGeo.attributes.position?.array === this.positions) return
    // A grown buffer needs a new geometry: WebGL buffers keep their size.
    this.lineGeo.dispose()
    this.lineGeo = new THREE.BufferGeometry()
    this.lineGeo.setAttribute('position', new THREE.BufferAttribute(this.positions, 3).setUsage(THREE.DynamicDrawUsage))
    this.lineGeo.setAttribute('color', new THREE.BufferAttribute(this.colors, 3))
    this.lines.geometry = this.lineGeo
    this.colorsDirty = true
  }

  private reserve(vertices: number): void {
    if (vertices * 3 <= this.positions.length) return
    let n = this.positions.length
    while (n < vertices * 3) n *= 2
    const p = new Float32Array(n)
    p.set(this.positions)
    const c = new Float32Array(n)
    c.set(this.colors)
    this.positions = p
    this.colors = c
  }

  private makeBoxes(capacity: number): THREE.InstancedMesh {
    const b = new THREE.InstancedMesh(new THREE.BoxGeometry(1, 1, 1), this.boxMaterial, capacity)
    b.instanceMatrix.setUsage(THREE.DynamicDrawUsage)
    b.frustumCulled = false
    b.count = 0
    return b
  }

  private growBoxes(): void {
    const old = this.boxes
    const next = this.makeBoxes(old.instanceMatrix.count * 2)
    for (let i = 0; i < old.count; i++) {
      old.getMatrixAt(i, m)
      next.setMatrixAt(i, m)
    }
    next.count = old.count
    this.group.remove(old)
    old.dispose()
    this.boxes = next
    this.group.add(next)
  }
}
