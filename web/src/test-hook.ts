/**
 * `window.__scenesync`: a small, read-mostly window into the page for tests
 * and the benchmark: what the 3D scene graph holds (positions read from the
 * three.js nodes, not from the doc), presence as drawn, the moment shown,
 * trails as drawn, frame timings. Seeking and selecting go through the same
 * calls the slider and a click use.
 */
import * as THREE from 'three'
import { gateMessage } from './gate.js'
import type { RoomView } from './room-view.js'

export interface HookObject {
  id: string
  name: string | null
  type: string | null
  parent: string | null
  visible: boolean
  /** Local location on the node (Blender's matrix_basis translation). */
  location: [number, number, number]
  /** World position through the hierarchy, Blender axes. */
  world: [number, number, number] | null
}

export function installHook(): { setView(v: RoomView | null): void; setState(s: string): void } {
  let view: RoomView | null = null
  let state = 'starting'
  const watched: Array<[string, number, number]> = []
  const hook = {
    get state() {
      return state
    },
    message: () => gateMessage(),
    room: () => view?.live.provider.roomname ?? null,
    status: () => view?.live.status ?? null,
    mode: () => view?.history.mode ?? null,
    objects(): HookObject[] {
      if (!view) return []
      const g = view.graph
      return g.ids().sort().map((id) => {
        const o = g.get(id)!
        const n = g.node(id)!
        return { id, name: o.name, type: o.type, parent: o.parent, visible: o.visible, location: [n.position.x, n.position.y, n.position.z], world: g.worldPosition(id) }
      })
    },
    object(id: string): HookObject | null {
      return hook.objects().find((o) => o.id === id) ?? null
    },
    /** How an object is drawn: from its geometry, as posed bones, or as a stand-in (box, gizmo, marker). */
    visual(id: string) {
      const v = view?.graph.visual(id)
      if (!v) return null
      const mesh = v.object as { geometry?: { attributes: { position: { count: number } } } } | null
      const lines = v.member?.lines ?? null
      return {
        kind: v.object ? 'geometry' : v.refresh ? 'bones' : 'stand-in',
        triangles: mesh?.geometry ? mesh.geometry.attributes.position.count / 3 : 0,
        linePoints: lines ? lines.length / 3 : 0,
        lineSum: lines ? Math.round(lines.reduce((a, b) => a + b, 0) * 1000) / 1000 : 0,
        data: view!.graph.get(id)?.data ? view!.geometry.describe(view!.graph.get(id)!.data!) : null,
      }
    },
    presence() {
      return { peers: view?.presence.peers ?? [], outlines: view?.presence.drawn ?? [] }
    },
    history() {
      const h = view?.history
      return h ? { mode: h.mode, t: h.t, shownT: h.shownT, seq: h.seq, first: h.first, last: h.last, range: h.range(), playing: h.playing, speed: h.speed } : null
    },
    seek: (t: number) => view!.history.seek(t),
    goLive: () => view!.history.goLive(),
    refreshSpan: () => view!.history.refreshSpan(),
    select: (ids: string[]) => view!.select(ids),
    trail: (id: string) => view?.trails.info(id) ?? null,
    chart: () => view?.chart.data ?? null,
    feed: () => view?.feed.entries ?? [],
    frames: () => ({ intervals: [...(view?.viewport.frameIntervals ?? [])], renders: [...(view?.viewport.renderTimes ?? [])], count: view?.viewport.frames ?? 0 }),
    resetFrames() {
      if (!view) return
      view.viewport.frameIntervals.length = 0
      view.viewport.renderTimes.length = 0
    },
    /** Records [id, x, Date.now()] for every live object applied to the scene graph from now on. */
    watch() {
      watched.length = 0
      if (view) view.onApplied = (objs) => {
        const now = Date.now()
        for (const o of objs) if (o.xform) watched.push([o.id, o.xform.location[0], now])
      }
    },
    takeWatched: () => watched.splice(0),
    /** ms from navigation to: the script running, the room's span answered, the WebSocket opened and synced, the scene built from the doc. */
    marks: () => Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('scenesync:')).map((m) => [m.name.slice(10), Math.round(m.startTime)])),
    firstFrameMs: () => view?.viewport.firstContentFrame ?? null,
    /** Screen position (CSS px in the viewport) of an object, for clicking it. */
    screenOf(id: string): { x: number; y: number } | null {
      const n = view?.graph.node(id)
      if (!n || !view) return null
      const c = view.viewport.renderer.domElement.getBoundingClientRect()
      const p = view.viewport.toScreen(n.getWorldPosition(new THREE.Vector3()))
      return p && { x: p.x + c.left, y: p.y + c.top }
    },
  }
  ;(window as unknown as { __scenesync: typeof hook }).__scenesync = hook
  return {
    setView: (v) => (view = v),
    setState: (s) => (state = s),
  }
}
