/**
 * The paths of the selected objects over the visible range: one vertex per
 * history row of the object in the range (the log's samples, nothing
 * invented between them), broken where the object was deleted, with time
 * ticks at round times. A tick shows where the object was at that time: at
 * its latest sample at or before it (`[H1]`); of ticks that fall on the same
 * sample (the object stood still) only the first is drawn.
 *
 * A trail is drawn in the frame of the object's parent (as it is now), so a
 * child's path moves with its parent; world-space paths of children would
 * need the parent's history too.
 */
import * as THREE from 'three'
import type { Api, PathPointJson } from './api.js'
import { clockTime } from './format.js'
import type { LabelLayer, LabelSpec } from './labels.js'
import type { SceneGraph } from './scene-graph.js'

const TRAIL = 0xf5a524
const lineMat = new THREE.LineBasicMaterial({ color: TRAIL, transparent: true, opacity: 0.85, depthTest: false })
const sampleMat = new THREE.PointsMaterial({ color: TRAIL, size: 3, sizeAttenuation: false, depthTest: false })
const tickMat = new THREE.PointsMaterial({ color: 0xffffff, size: 7, sizeAttenuation: false, depthTest: false })
const TICK_STEPS = [100, 250, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 216e5, 432e5, 864e5]
const MAX_TICKS = 10

export interface TrailInfo {
  /** History rows of the object in the range. */
  points: number
  /** Blender-space positions drawn, one per row that has a transform (deleted rows break the line). */
  drawn: Array<[number, number, number]>
  ticks: Array<{ time: number; at: [number, number, number] }>
  range: [number, number]
}

interface Trail {
  id: string
  group: THREE.Group
  info: TrailInfo
  parent: string | null
}

export class TrailLayer {
  private trails = new Map<string, Trail>()
  private ids: string[] = []
  private range: [number, number] | null = null
  private generation = 0
  private loading: Promise<void> = Promise.resolve()

  constructor(
    private readonly api: Api,
    private readonly room: string,
    private readonly graph: SceneGraph,
    private readonly labels: LabelLayer,
  ) {}

  /** Shows trails of these objects over this range (server ms); resolves when they are drawn. */
  show(ids: string[], range: [number, number] | null): Promise<void> {
    this.ids = ids
    this.range = range
    return this.reload()
  }

  reload(): Promise<void> {
    const gen = ++this.generation
    const ids = [...this.ids]
    const range = this.range
    this.loading = (async () => {
      const fetched = range ? await Promise.all(ids.map((id) => this.api.path(this.room, id, Math.floor(range[0]), Math.ceil(range[1])).then((r) => r.points, () => null))) : []
      if (gen !== this.generation) return
      this.clear()
      if (!range) return
      ids.forEach((id, i) => {
        const points = fetched[i]
        if (points) this.build(id, points, range)
      })
      this.reattach()
      this.placeLabels()
    })()
    return this.loading
  }

  /** Drawn trails, for the test hook. */
  info(id: string): TrailInfo | null {
    return this.trails.get(id)?.info ?? null
  }

  /** Puts each trail under its object's parent's node (after the scene was replaced). */
  reattach(): void {
    for (const t of this.trails.values()) {
      const parent = this.graph.get(t.id)?.parent ?? t.parent
      const node = (parent && this.graph.node(parent)) || this.graph.root
      if (t.group.parent !== node) node.add(t.group)
    }
    this.graph.version++
  }

  private clear(): void {
    for (const t of this.trails.values()) {
      t.group.removeFromParent()
      for (const c of t.group.children) (c as THREE.Line).geometry?.dispose()
    }
    this.trails.clear()
    this.labels.set('trails', new Map())
    this.graph.version++
  }

  private build(id: string, points: PathPointJson[], range: [number, number]): void {
    const drawn: Array<[number, number, number]> = []
    const segs: number[] = []
    let prev: [number, number, number] | null = null
    for (const p of points) {
      if (p.deleted || !p.xform) {
        prev = null
        continue
      }
      const v = p.xform.location
      if (prev) segs.push(...prev, ...v)
      drawn.push([v[0], v[1], v[2]])
      prev = [v[0], v[1], v[2]]
    }
    const ticks = this.ticks(points, range)
    const group = new THREE.Group()
    group.name = `trail:${id}`
    const geo = (arr: number[]) => new THREE.BufferGeometry().setAttribute('position', new THREE.Float32BufferAttribute(arr, 3))
    const line = new THREE.LineSegments(geo(segs), lineMat)
    const samples = new THREE.Points(geo(drawn.flat()), sampleMat)
    const tickPts = new THREE.Points(geo(ticks.flatMap((t) => t.at)), tickMat)
    for (const o of [line, samples, tickPts]) o.renderOrder = 5
    group.add(line, samples, tickPts)
    this.trails.set(id, { id, group, parent: this.graph.get(id)?.parent ?? null, info: { points: points.length, drawn, ticks, range } })
  }

  /** Round times across the samples' span, each at the latest sample at or before it. */
  private ticks(points: PathPointJson[], range: [number, number]): TrailInfo['ticks'] {
    if (points.length < 2) return []
    const a = Math.max(range[0], points[0]!.time)
    const b = Math.min(range[1], points[points.length - 1]!.time)
    if (b <= a) return []
    const step = TICK_STEPS.find((s) => (b - a) / s <= MAX_TICKS) ?? 864e5
    const out: TrailInfo['ticks'] = []
    let i = 0
    let held = -1
    for (let t = Math.ceil(a / step) * step; t <= b; t += step) {
      while (i + 1 < points.length && points[i + 1]!.time <= t) i++
      const p = points[i]!
      // While the object stands still, later ticks would pile up on the first: one is enough.
      if (p.time > t || p.deleted || !p.xform || i === held) continue
      held = i
      out.push({ time: t, at: [...p.xform.location] as [number, number, number] })
    }
    return out
  }

  private placeLabels(): void {
    const specs = new Map<string, LabelSpec>()
    for (const t of this.trails.values()) {
      const step = t.info.ticks.length > 1 ? t.info.ticks[1]!.time - t.info.ticks[0]!.time : 1000
      t.info.ticks.forEach((tick, i) => {
        specs.set(`${t.id}|${i}`, {
          text: clockTime(tick.time, step < 1000),
          className: 'tick',
          at: () => t.group.localToWorld(new THREE.Vector3(...tick.at)),
        })
      })
    }
    this.labels.set('trails', specs)
  }
}
