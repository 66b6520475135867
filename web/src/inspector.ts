/**
 * The side panel's object card: name, type, id, parent, transform (as
 * Blender shows it), visibility, bones; and its last change (who, when,
 * what), asked from the server for the moment shown.
 */
import type { Api, ObjectAtJson } from './api.js'
import { personColor } from './colors.js'
import { h } from './dom.js'
import { ago, clockTime, rotation, vec, whatChanged } from './format.js'
import type { SceneGraph } from './scene-graph.js'

export class Inspector {
  private id: string | null = null
  private last: ObjectAtJson['lastChange'] | undefined
  private lastFor = ''
  private timer: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly room: string,
    private readonly graph: SceneGraph,
    /** The log position shown, or undefined for now. */
    private readonly at: () => number | undefined,
    /** What is known of a data block (its kind, vertex count, or why it is not drawn). */
    private readonly describeData: (dataId: string) => string | null = () => null,
  ) {
    this.render()
  }

  show(id: string | null): void {
    if (id !== this.id) this.last = undefined
    this.id = id
    this.render()
    this.fetchLast(0)
  }

  /** The object (or the moment shown) changed: redraw now, ask for its last change soon. */
  refresh(): void {
    if (!this.id) return
    this.render()
    this.fetchLast(400)
  }

  private fetchLast(delay: number): void {
    if (!this.id || this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      const id = this.id
      const at = this.at()
      if (!id) return
      const key = `${id}@${at ?? 'now'}`
      this.api.objectAt(this.room, id, at === undefined ? undefined : { seq: at }).then(
        (r) => {
          if (this.id !== id) return
          this.last = r.lastChange
          this.lastFor = key
          this.render()
        },
        () => {
          if (this.id !== id) return
          this.last = null
          this.render()
        },
      )
    }, delay)
  }

  private render(): void {
    const o = this.id ? this.graph.get(this.id) : undefined
    if (!o) {
      this.el.replaceChildren(h('h2', {}, 'Object'), h('p', { class: 'empty' }, this.id ? 'Not in the scene at this moment.' : 'Click an object to see what it is and who changed it last.'))
      return
    }
    const parent = o.parent ? (this.graph.get(o.parent)?.name ?? o.parent) : '—'
    const rows: Array<[string, string]> = [['id', o.id], ['parent', parent]]
    if (o.xform) rows.push(['location', vec(o.xform.location)], ['rotation', rotation(o.xform)], ['scale', vec(o.xform.scale)])
    else rows.push(['transform', 'none valid'])
    rows.push(['visible', o.visible ? 'yes' : 'hidden'])
    const bones = Object.keys(o.pose)
    if (bones.length) rows.push(['bones', `${bones.length} posed: ${bones.slice(0, 6).join(', ')}${bones.length > 6 ? ', …' : ''}`])
    if (o.data) rows.push(['data', this.describeData(o.data) ?? o.data])
    const dl = h('dl', { class: 'kv' })
    for (const [k, v] of rows) dl.append(h('dt', {}, k), h('dd', { class: k === 'id' ? 'mono' : '' }, v))
    let last: HTMLElement
    if (this.last === undefined) last = h('div', { class: 'last-change empty' }, 'last change: …')
    else if (this.last === null) last = h('div', { class: 'last-change empty' }, 'no change in the log yet')
    else {
      const c = this.last
      last = h(
        'div',
        { class: 'last-change', 'data-for': this.lastFor },
        h('span', { class: 'chip', style: `background:${personColor(c.user)}` }),
        h('span', { class: 'who' }, c.user),
        ` ${whatChanged(c.what)} it`,
        h('div', { class: 'empty' }, `${clockTime(c.time, false)} · ${ago(c.time)} · position ${c.seq}`),
      )
    }
    this.el.replaceChildren(h('h2', {}, 'Object'), h('div', { class: 'obj-name' }, o.name ?? '(no name)'), h('div', { class: 'obj-type' }, o.type ?? 'unknown type'), dl, last)
  }
}
