/**
 * Text over the 3D view (presence names, the selected object's name, trail
 * times): HTML elements moved to where their anchor projects each frame.
 * Only a handful exist at a time; the set is replaced wholesale each update.
 */
import * as THREE from 'three'
import type { Viewport } from './viewport.js'

export interface LabelSpec {
  text: string
  className: string
  color?: string
  /** The anchor in three.js world space, read every frame. */
  at: () => THREE.Vector3 | null
  /** Pixels added to the projected position, to stack labels at one anchor. */
  dy?: number
}

export class LabelLayer {
  private readonly groups = new Map<string, Map<string, { el: HTMLElement; spec: LabelSpec }>>()

  constructor(
    private readonly host: HTMLElement,
    private readonly view: Viewport,
  ) {
    view.onFrame(() => {
      this.place()
    })
  }

  /** Replaces the labels of one group (e.g. 'presence', 'trails') with these. */
  set(group: string, specs: Map<string, LabelSpec>): void {
    let g = this.groups.get(group)
    if (!g) this.groups.set(group, (g = new Map()))
    for (const [key, l] of g) if (!specs.has(key)) {
      l.el.remove()
      g.delete(key)
    }
    for (const [key, spec] of specs) {
      let l = g.get(key)
      if (!l) {
        const el = document.createElement('div')
        this.host.append(el)
        g.set(key, (l = { el, spec }))
      }
      l.spec = spec
      if (l.el.textContent !== spec.text) l.el.textContent = spec.text
      l.el.className = `label ${spec.className}`
      l.el.style.color = spec.color ?? ''
    }
    this.place()
  }

  private place(): void {
    for (const g of this.groups.values()) {
      for (const { el, spec } of g.values()) {
        const p = spec.at()
        const s = p && this.view.toScreen(p)
        if (!s) {
          el.style.display = 'none'
          continue
        }
        el.style.display = ''
        el.style.left = `${s.x}px`
        el.style.top = `${s.y + (spec.dy ?? 0)}px`
      }
    }
  }
}

export const worldOf = (o: THREE.Object3D | undefined) => (o ? o.getWorldPosition(new THREE.Vector3()) : null)
