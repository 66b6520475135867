/**
 * The room's objects as three.js nodes: one node per object id holding its
 * local transform, parented to its parent's node (so each object sits at its
 * transform in the hierarchy), with a visual for its type or its geometry.
 *
 * The same graph shows the live doc and any past moment: `setAll` replaces
 * the whole scene (a moment of history), `upsert`/`remove` apply live edits.
 * A parent that is missing or would make a cycle (a foreign client may write
 * one) leaves the object at the root until that resolves.
 */
import * as THREE from 'three'
import type { Xform } from '../../src/crdt/index.js'
import { Batches } from './batches.js'
import { type Visual, fallbackVisual, meshMaterial } from './gizmos.js'
import { applyXform, blenderRoot } from './xform.js'

export interface ViewObject {
  id: string
  name: string | null
  type: string | null
  parent: string | null
  visible: boolean
  xform: Xform | null
  pose: Record<string, Xform>
  /** The data block the object shows (mesh, armature, ...), when the scene model has one. */
  data?: string | null
}

/** Supplies visuals better than the stand-ins: meshes from geometry, bones from the rig. */
export interface VisualSource {
  /** A visual for the object now, or null to keep the stand-in; may resolve later. */
  visualFor(o: ViewObject): Promise<Visual | null> | null
}

interface Entry {
  node: THREE.Group
  visual: Visual
  /** What the visual was made for: a new type or data block makes a new one. */
  visualKey: string
  obj: ViewObject
}

const IDENTITY = { mode: 'XYZ', location: [0, 0, 0], rotation: [0, 0, 0], scale: [1, 1, 1] } as Xform

export class SceneGraph {
  readonly root = blenderRoot()
  /** The stand-ins of every object, drawn in world space: add to the scene beside `root`. */
  readonly batches = new Batches(meshMaterial)
  private syncedVersion = -1
  private readonly entries = new Map<string, Entry>()
  /** Pick mesh → object id. */
  private readonly picks = new Map<THREE.Object3D, string>()
  private readonly pickList: THREE.Object3D[] = []
  private pickListDirty = false
  private linksDirty = false
  /** Bumped on every change, so views know to redraw. */
  version = 0
  /** Called after objects are added, removed, renamed or reparented (not on moves). */
  onStructure: () => void = () => {}
  source: VisualSource | null = null

  get size(): number {
    return this.entries.size
  }

  ids(): string[] {
    return [...this.entries.keys()]
  }

  get(id: string): ViewObject | undefined {
    return this.entries.get(id)?.obj
  }

  all(): ViewObject[] {
    return [...this.entries.values()].map((e) => e.obj)
  }

  node(id: string): THREE.Object3D | undefined {
    return this.entries.get(id)?.node
  }

  visual(id: string): Visual | undefined {
    return this.entries.get(id)?.visual
  }

  /** Replaces the scene with exactly these objects. */
  setAll(objects: readonly ViewObject[]): void {
    const keep = new Set(objects.map((o) => o.id))
    let structural = false
    for (const id of [...this.entries.keys()]) {
      if (!keep.has(id)) {
        this.drop(id)
        structural = true
      }
    }
    for (const o of objects) structural = this.put(o) || structural
    structural = this.relink() || structural
    this.version++
    if (structural) this.onStructure()
  }

  upsert(objects: readonly ViewObject[], removed: readonly string[] = []): void {
    let structural = false
    for (const id of removed) if (this.entries.has(id)) {
      this.drop(id)
      structural = true
    }
    for (const o of objects) structural = this.put(o) || structural
    structural = this.relink() || structural
    this.version++
    if (structural) this.onStructure()
  }

  /** The id of the visible object a ray hits first, or null. */
  pick(ray: THREE.Raycaster): string | null {
    if (this.pickListDirty) {
      this.pickList.length = 0
      this.pickList.push(...this.picks.keys())
      this.pickListDirty = false
    }
    this.root.updateMatrixWorld()
    for (const hit of ray.intersectObjects(this.pickList, false)) {
      const id = this.picks.get(hit.object)
      if (id !== undefined && this.shown(id)) return id
    }
    return null
  }

  /** Whether the object is in the scene and visible (in Blender, hiding a parent does not hide its children). */
  shown(id: string): boolean {
    const e = this.entries.get(id)
    return !!e && e.obj.visible
  }

  /** The object's position in Blender world coordinates (parents applied). */
  worldPosition(id: string): [number, number, number] | null {
    const e = this.entries.get(id)
    if (!e) return null
    this.root.updateMatrixWorld()
    const p = e.node.getWorldPosition(new THREE.Vector3())
    this.root.worldToLocal(p)
    return [p.x, p.y, p.z]
  }

  /** Bounds of every visible object's visual in three.js world space, for framing the view. */
  worldBounds(): THREE.Box3 {
    const box = new THREE.Box3()
    this.root.updateMatrixWorld()
    for (const e of this.entries.values()) if (e.obj.visible) box.union(e.visual.bounds.clone().applyMatrix4(e.node.matrixWorld))
    return box
  }

  /** Returns true when the change is structural (new object, type, name, parent). */
  private put(o: ViewObject): boolean {
    let e = this.entries.get(o.id)
    const key = `${o.type}|${o.data ?? ''}`
    let structural = false
    if (!e) {
      const node = new THREE.Group()
      node.userData.id = o.id
      e = { node, visual: fallbackVisual(o.type), visualKey: key, obj: o }
      this.entries.set(o.id, e)
      this.attachVisual(e)
      this.root.add(node)
      this.requestVisual(e)
      this.linksDirty = true
      structural = true
    } else {
      structural = e.obj.name !== o.name || e.obj.parent !== o.parent || e.obj.type !== o.type
      if (e.obj.parent !== o.parent) this.linksDirty = true
      e.obj = o
      if (e.visualKey !== key) {
        this.setVisual(e, fallbackVisual(o.type))
        e.visualKey = key
        this.requestVisual(e)
      }
    }
    applyXform(e.node, o.xform ?? IDENTITY)
    if (e.visual.object) e.visual.object.visible = o.visible
    if (e.visual.refresh) {
      e.visual.member = e.visual.refresh(o)
      this.batches.set(o.id, e.visual.member)
    }
    return structural
  }

  /** The data blocks with these ids changed (their geometry arrived): draw their objects again. */
  refreshData(dataIds: ReadonlySet<string>): void {
    for (const e of this.entries.values()) if (e.obj.data && dataIds.has(e.obj.data)) this.requestVisual(e)
  }

  private requestVisual(e: Entry): void {
    const pending = this.source?.visualFor(e.obj)
    if (!pending) return
    const key = e.visualKey
    void pending.then(
      (v) => {
        // The object may have gone or changed its data meanwhile.
        if (v && this.entries.get(e.obj.id) === e && e.visualKey === key) {
          this.setVisual(e, v)
          if (v.object) v.object.visible = e.obj.visible
          this.version++
        }
      },
      () => {},
    )
  }

  private setVisual(e: Entry, v: Visual): void {
    this.detachVisual(e)
    e.visual = v
    this.attachVisual(e)
  }

  private attachVisual(e: Entry): void {
    const v = e.visual
    e.node.add(v.pick)
    if (v.object) e.node.add(v.object)
    if (v.member) this.batches.set(e.obj.id, v.member)
    this.picks.set(v.pick, e.obj.id)
    this.pickListDirty = true
  }

  private detachVisual(e: Entry): void {
    const v = e.visual
    e.node.remove(v.pick)
    if (v.object) e.node.remove(v.object)
    this.batches.remove(e.obj.id)
    this.picks.delete(v.pick)
    this.pickListDirty = true
  }

  /** Brings the batches up to date with the nodes; true when anything changed since the last call. */
  sync(): boolean {
    if (this.version === this.syncedVersion) return false
    this.syncedVersion = this.version
    this.root.updateMatrixWorld()
    this.batches.update((id) => {
      const e = this.entries.get(id)
      return e && e.obj.visible ? e.node.matrixWorld : null
    })
    return true
  }

  private drop(id: string): void {
    const e = this.entries.get(id)!
    this.detachVisual(e)
    this.entries.delete(id)
    this.linksDirty = true
    // Children stay, at the root, until their parent comes back.
    for (const child of [...e.node.children]) if (child.userData.id !== undefined) this.root.add(child)
    e.node.removeFromParent()
  }

  /** Puts every node under its parent's node where that exists and makes no cycle. */
  private relink(): boolean {
    if (!this.linksDirty) return false
    this.linksDirty = false
    let moved = false
    for (const e of this.entries.values()) {
      const want = this.parentNodeOf(e.obj)
      if (e.node.parent !== want) {
        want.add(e.node)
        moved = true
      }
    }
    return moved
  }

  private parentNodeOf(o: ViewObject): THREE.Object3D {
    if (o.parent === null) return this.root
    const seen = new Set([o.id])
    let p: string | null = o.parent
    while (p !== null) {
      if (seen.has(p)) return this.root
      seen.add(p)
      const pe = this.entries.get(p)
      if (!pe) return this.root
      p = pe.obj.parent
    }
    return this.entries.get(o.parent)!.node
  }
}
