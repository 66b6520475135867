/**
 * The web view's start: find out whether the server wants a token (a 401
 * from `GET /rooms`), ask for one if so, let the person pick a room (or take
 * it from the address), check the token may read it, then show the room.
 * Every refusal ends in a card that says what is wrong and what to do.
 */
import { Api, ApiError, type RoomList } from './api.js'
import { byId } from './dom.js'
import { askToken, hideGate, pickRoom, showProblem } from './gate.js'
import { RoomView } from './room-view.js'
import { LiveRoom } from './live.js'
import { colorOf } from './colors.js'
import { openRoom, roomInAddress, saveToken, takeToken, tokenName, viewerName } from './session.js'
import { installHook } from './test-hook.js'

performance.mark('scenesync:script')
const hook = installHook()
const api = new Api('', takeToken())

/** The server says in the page whether it wants a token (so the page need not provoke a 401 to find out). */
const wantsToken = document.querySelector<HTMLMetaElement>('meta[name="scenesync-auth"]')?.content === 'token'

async function roomList(problem: string | null = null): Promise<RoomList | null> {
  if (wantsToken && !api.token) {
    hook.setState('token')
    api.token = await askToken(problem)
    saveToken(api.token)
  }
  for (;;) {
    try {
      return await api.rooms()
    } catch (e) {
      if (!(e instanceof ApiError)) throw e
      if (e.status === 401) {
        hook.setState('token')
        const why = api.token ? explain(e) : problem
        api.token = await askToken(why)
        saveToken(api.token)
        continue
      }
      if (e.status === 503) return null // no projection: the room can still be typed in
      throw e
    }
  }
}

function explain(e: ApiError): string {
  if (e.status === 401 && /signature/.test(e.message)) return `This token was not made by this server: ${e.message}.`
  if (e.status === 401 && /expired/.test(e.message)) return `This token has expired (${e.message.replace(/^token /, '')}). Ask for a new one.`
  if (e.status === 401) return `The server refused the token: ${e.message}.`
  if (e.status === 403) return `${e.message.replace(/^token/, 'Your token')}. Ask for a token of this room, or pick another room.`
  return e.message
}

async function start(): Promise<void> {
  let list = await roomList()
  let room = roomInAddress()
  let problem: string | null = null
  for (;;) {
    if (!room) {
      hook.setState('picker')
      room = await pickRoom(list, problem)
      openRoom(room)
    }
    // The WebSocket opens while the server checks the token over HTTP: the sync and the
    // check overlap, and a refused token closes it again.
    const viewer = viewerName(tokenName(api.token) ?? list?.name ?? null)
    const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`
    const live = new LiveRoom({ url: wsBase, room, token: api.token, name: viewer, color: colorOf(viewer) })
    try {
      const span = await api.span(room)
      performance.mark('scenesync:span')
      hideGate()
      hook.setState('ready')
      const view = new RoomView({ api, room, span, live, viewer })
      hook.setView(view)
      byId('room-button').onclick = () => {
        openRoom(null)
        location.reload()
      }
      return
    } catch (e) {
      live.destroy()
      if (!(e instanceof ApiError)) throw e
      const r = room
      hook.setState('refused')
      if (e.status === 403 || e.status === 401) {
        await new Promise<void>((resolve) =>
          showProblem(e.status === 403 ? `No access to “${r}”` : 'The server refused the token', explain(e), [
            {
              label: 'Use another token',
              run: async () => {
                api.token = await askToken(null)
                saveToken(api.token)
                list = await roomList()
                resolve()
              },
            },
            {
              label: 'Pick another room',
              primary: true,
              run: () => {
                room = null
                openRoom(null)
                resolve()
              },
            },
          ]),
        )
        continue
      }
      if (e.status === 503) {
        problem = null
        showProblem('History is not available', `${e.message}. The live view needs the server's projection too.`, [{ label: 'Retry', primary: true, run: () => location.reload() }])
        return
      }
      problem = e.message
      room = null
    }
  }
}

start().catch((e: Error) => {
  hook.setState('failed')
  showProblem('Something went wrong', e.message, [{ label: 'Reload', primary: true, run: () => location.reload() }])
})
