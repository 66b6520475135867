/**
 * Who changed what, newest first, up to the moment shown: pages of the
 * room's log from `GET /rooms/:room/changes`, one row per log entry. A click
 * on a row selects its objects and moves the slider to that moment.
 */
import type { Api, ChangeJson } from './api.js'
import { personColor } from './colors.js'
import { h } from './dom.js'
import { clockTime, whatChanged } from './format.js'

const PAGE = 40

export interface Entry {
  seq: number
  time: number
  user: string
  items: Array<{ id: string; name: string | null; what: string[] }>
}

export function groupBySeq(changes: ChangeJson[]): Entry[] {
  const out: Entry[] = []
  for (const c of changes) {
    let e = out[out.length - 1]
    if (!e || e.seq !== c.seq) out.push((e = { seq: c.seq, time: c.time, user: c.user, items: [] }))
    e.items.push({ id: c.objectId, name: c.name, what: c.what })
  }
  return out.reverse()
}

export class ChangesFeed {
  entries: Entry[] = []
  private next: number | null = null
  private generation = 0
  private timer: ReturnType<typeof setTimeout> | null = null
  onPick: (e: Entry) => void = () => {}

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly room: string,
    /** The log position shown, or undefined for now. */
    private readonly at: () => number | undefined,
  ) {
    this.render()
  }

  /** Reloads the first page soon (coalescing bursts of calls). */
  refresh(delay = 250): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.load()
    }, delay)
  }

  async load(): Promise<void> {
    const gen = ++this.generation
    const at = this.at()
    try {
      const page = await this.api.changes(this.room, at === undefined ? undefined : { seq: at }, PAGE)
      if (gen !== this.generation) return
      this.entries = groupBySeq(page.changes)
      this.next = page.next
    } catch {
      if (gen !== this.generation) return
      this.entries = []
      this.next = null
    }
    this.render()
  }

  private async older(): Promise<void> {
    if (this.next === null) return
    const gen = this.generation
    const page = await this.api.changes(this.room, { seq: this.next }, PAGE)
    if (gen !== this.generation) return
    this.entries.push(...groupBySeq(page.changes))
    this.next = page.next
    this.render()
  }

  private render(): void {
    const current = this.at()
    const list = h('ul', { class: 'feed' })
    for (const e of this.entries) {
      const names = e.items.map((i) => i.name ?? i.id.slice(0, 8))
      const whats = [...new Set(e.items.map((i) => whatChanged(i.what)))]
      const text = whats.length === 1 ? `${whats[0]} ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}` : e.items.map((i) => `${whatChanged(i.what)} ${i.name ?? i.id.slice(0, 8)}`).slice(0, 3).join(' · ')
      list.append(
        h(
          'li',
          { class: current !== undefined && e.seq === current ? 'current' : '', title: `position ${e.seq}`, onclick: () => this.onPick(e) },
          h('span', {}, h('span', { class: 'chip', style: `background:${personColor(e.user)}` }), h('span', { class: 'who' }, e.user)),
          h('span', { class: 'when' }, clockTime(e.time)),
          h('span', { class: 'what' }, text),
        ),
      )
    }
    const body = this.entries.length ? list : h('p', { class: 'empty' }, 'No changes yet.')
    const more = this.next !== null ? h('button', { class: 'more ghost', onclick: () => void this.older() }, 'older changes') : null
    this.el.replaceChildren(h('h2', {}, current === undefined ? 'Latest changes' : 'Changes up to this moment'), body, ...(more ? [more] : []))
  }
}
