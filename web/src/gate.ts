/**
 * What stands before a room: the token prompt (when the server has a
 * secret), the room picker, and clear messages when something is refused
 * (a token of another room, a token this server did not sign, a server that
 * cannot be reached), never a blank page.
 */
import type { RoomList } from './api.js'
import { byId, h } from './dom.js'
import { ago } from './format.js'

export interface Action {
  label: string
  primary?: boolean
  run: () => void
}

function gate(): HTMLElement {
  return byId('gate')
}

function show(card: HTMLElement): void {
  gate().replaceChildren(card)
  gate().hidden = false
}

export function hideGate(): void {
  gate().hidden = true
  gate().replaceChildren()
}

/** The text of the message the gate shows now, if any (the test hook reads it). */
export function gateMessage(): string | null {
  if (gate().hidden) return null
  return gate().querySelector('.message')?.textContent ?? gate().querySelector('h1')?.textContent ?? null
}

function message(text: string | null): HTMLElement | null {
  return text ? h('div', { class: 'message', role: 'alert' }, text) : null
}

/** Asks for a token; `problem` says why the last one (if any) was refused. */
export function askToken(problem: string | null): Promise<string> {
  return new Promise((resolve) => {
    const input = h('input', { type: 'password', placeholder: 'paste a token', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'token' })
    const submit = () => {
      const v = input.value.trim()
      if (v) resolve(v)
    }
    input.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') submit()
    })
    show(
      h(
        'div',
        { class: 'card', id: 'token-card' },
        h('h1', {}, 'This server needs a token'),
        h('p', {}, 'Ask whoever runs it for one (they make it with ', h('code', {}, 'scenesync token --room ROOM --role read'), '). It is kept for this tab only.'),
        message(problem),
        input,
        h('div', { class: 'actions' }, h('button', { class: 'primary', onclick: submit }, 'Open')),
      ),
    )
    input.focus()
  })
}

/** Lets the person pick one of the rooms their token may read, or type a name. */
export function pickRoom(list: RoomList | null, problem: string | null = null): Promise<string> {
  return new Promise((resolve) => {
    const rooms = h('ul', { class: 'rooms' })
    for (const r of list?.rooms ?? []) {
      const meta = `${r.objects} object${r.objects === 1 ? '' : 's'}${r.lastTime ? ` · edited ${ago(r.lastTime)}` : ''}`
      rooms.append(h('li', { onclick: () => resolve(r.room), 'data-room': r.room }, h('span', { class: 'room-name' }, r.room), h('span', { class: 'room-meta' }, meta)))
    }
    const input = h('input', { type: 'text', placeholder: 'or type a room name', 'aria-label': 'room name' })
    const go = () => input.value.trim() && resolve(input.value.trim())
    input.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') go()
    })
    const none = list && list.rooms.length === 0 ? h('p', {}, list.auth ? 'Your token may read no room that has any history yet.' : 'No room has any history yet.') : null
    const where = list?.auth ? h('p', {}, `Rooms your token may read (${list.pattern}, ${list.role === 'read' ? 'read-only' : 'read and write'}).`) : h('p', {}, 'Pick a room to look at.')
    show(h('div', { class: 'card', id: 'room-card' }, h('h1', {}, 'Open a room'), where, message(problem), none, list?.rooms.length ? rooms : null, input, h('div', { class: 'actions' }, h('button', { class: 'primary', onclick: go }, 'Open'))))
  })
}

/** A refusal or failure, said plainly, with ways out. */
export function showProblem(title: string, text: string, actions: Action[]): void {
  show(
    h(
      'div',
      { class: 'card', id: 'problem-card' },
      h('h1', {}, title),
      message(text),
      h('div', { class: 'actions' }, ...actions.map((a) => h('button', { class: a.primary ? 'primary' : '', onclick: a.run }, a.label))),
    ),
  )
}
