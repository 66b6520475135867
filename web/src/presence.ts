/**
 * Who is here and what they selected, shown as the add-on shows it: a box
 * around each selected object in the person's colour, drawn over everything,
 * with their name beside it; and everyone in the top bar. The page's own
 * selection gets the same box in the accent colour.
 */
import * as THREE from 'three'
import { announced, colorOf } from './colors.js'
import { h } from './dom.js'
import { type LabelLayer, type LabelSpec, worldOf } from './labels.js'
import type { Peer } from './live.js'
import type { SceneGraph } from './scene-graph.js'

const unitBox = new THREE.EdgesGeometry(new THREE.BoxGeometry(1, 1, 1))
const materials = new Map<string, THREE.LineBasicMaterial>()
const ACCENT = '#4f9cf7'

function outlineMaterial(color: string): THREE.LineBasicMaterial {
  let m = materials.get(color)
  if (!m) {
    m = new THREE.LineBasicMaterial({ color: new THREE.Color(color), depthTest: false, transparent: true, opacity: 0.95 })
    materials.set(color, m)
  }
  return m
}

export interface Outline {
  who: string
  color: string
  id: string
}

export class PresenceLayer {
  peers: Peer[] = []
  mine: string[] = []
  private outlines: THREE.Object3D[] = []
  /** What is drawn now, for the test hook. */
  drawn: Outline[] = []

  constructor(
    private readonly graph: SceneGraph,
    private readonly labels: LabelLayer,
    private readonly peopleEl: HTMLElement,
    private readonly me: { name: string; color: string },
  ) {}

  setPeers(peers: Peer[]): void {
    this.peers = peers
    for (const p of peers) if (p.color) announced.set(p.name, p.color)
    this.renderPeople()
    this.refresh()
  }

  setMine(ids: string[]): void {
    this.mine = ids
    this.refresh()
  }

  /** Redraws the outlines: after presence, selection or the scene's structure changed. */
  refresh(): void {
    for (const o of this.outlines) o.removeFromParent()
    this.outlines = []
    this.drawn = []
    const labels = new Map<string, LabelSpec>()
    const perObject = new Map<string, number>()
    const add = (who: string, color: string, id: string, label: string | null, cls: string) => {
      const node = this.graph.node(id)
      const visual = this.graph.visual(id)
      if (!node || !visual || !this.graph.shown(id)) return
      const n = perObject.get(id) ?? 0
      perObject.set(id, n + 1)
      const size = visual.bounds.getSize(new THREE.Vector3())
      const box = new THREE.LineSegments(unitBox, outlineMaterial(color))
      visual.bounds.getCenter(box.position)
      // Each further person's box a little larger, so all of them show.
      const grow = 1.08 + n * 0.08
      box.scale.set(Math.max(size.x, 0.05) * grow, Math.max(size.y, 0.05) * grow, Math.max(size.z, 0.05) * grow)
      box.renderOrder = 10
      node.add(box)
      this.outlines.push(box)
      this.drawn.push({ who, color, id })
      if (label !== null) labels.set(`${who}|${id}`, { text: label, className: cls, color, at: () => worldOf(node), dy: -14 - n * 20 })
    }
    for (const p of this.peers) for (const id of p.selection) add(p.name, p.color ?? colorOf(p.name), id, p.name, 'presence')
    for (const id of this.mine) add(this.me.name, ACCENT, id, this.graph.get(id)?.name ?? null, 'name')
    this.labels.set('presence', labels)
    this.graph.version++
  }

  private renderPeople(): void {
    const chip = (name: string, color: string, cls: string, title: string) =>
      h('span', { class: `person ${cls}`, title }, h('span', { class: 'dot', style: `background:${color}` }, name.slice(0, 1).toUpperCase()), name)
    const els = this.peers.map((p) =>
      chip(p.name, p.color ?? colorOf(p.name), 'peer', p.selection.length ? `${p.name}: ${p.selection.length} selected` : p.name),
    )
    els.push(chip(this.me.name, this.me.color, 'me', 'you (this page)'))
    this.peopleEl.replaceChildren(...els)
  }
}
