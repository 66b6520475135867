/**
 * One room on the page: the live doc and the history feeding one scene
 * graph, with presence, trails, the inspector, the change feed, the slider
 * and the chart wired together. Everything the page shows of a room starts
 * here; `main.ts` only decides which room and with which token.
 */
import type { Api, Span } from './api.js'
import { ActivityChart } from './activity-chart.js'
import { ChangesFeed } from './changes-feed.js'
import { colorOf } from './colors.js'
import { byId } from './dom.js'
import { clockTime } from './format.js'
import { History } from './history.js'
import { Inspector } from './inspector.js'
import { LabelLayer } from './labels.js'
import { DocGeometry } from './doc-geometry.js'
import { LiveRoom, dataIdOf } from './live.js'
import { PresenceLayer } from './presence.js'
import { SceneGraph, type ViewObject } from './scene-graph.js'
import { TimelineBar } from './timeline-bar.js'
import { TrailLayer } from './trails.js'
import { Viewport } from './viewport.js'

export interface RoomViewOptions {
  api: Api
  room: string
  span: Span
  /** The live room, already connecting. */
  live: LiveRoom
  viewer: string
}

export class RoomView {
  readonly viewport: Viewport
  readonly graph = new SceneGraph()
  readonly live: LiveRoom
  readonly history: History
  readonly presence: PresenceLayer
  readonly trails: TrailLayer
  readonly feed: ChangesFeed
  readonly chart: ActivityChart
  readonly inspector: Inspector
  readonly geometry: DocGeometry
  private readonly bar: TimelineBar
  selection: string[] = []
  /** Called with the live objects applied to the graph each frame (the benchmark's latency probe). */
  onApplied: ((objects: ViewObject[]) => void) | null = null
  private framed = false
  private historyLoaded = false
  private lastSpanAt = 0
  private lastChartAt = 0
  private trailsDirty = false
  private readonly statusEl = byId('status')
  private readonly banner = byId('banner')

  constructor(o: RoomViewOptions) {
    const { api, room } = o
    this.viewport = new Viewport(byId('viewport'))
    this.viewport.scene.add(this.graph.root, this.graph.batches.group)
    this.viewport.pickAt = (ray) => this.graph.pick(ray)
    this.viewport.onPick = (id, e) => this.select(id === null ? [] : e.shiftKey ? toggle(this.selection, id) : [id])
    const labels = new LabelLayer(byId('labels'), this.viewport)
    const me = { name: o.viewer, color: colorOf(o.viewer) }
    this.presence = new PresenceLayer(this.graph, labels, byId('people'), me)
    this.history = new History(api, room)
    this.history.span = o.span
    this.trails = new TrailLayer(api, room, this.graph, labels)
    const at = () => (this.history.mode === 'history' ? this.history.seq : undefined)
    this.inspector = new Inspector(byId('inspector'), api, room, this.graph, at, (id) => this.geometry.describe(id))
    this.feed = new ChangesFeed(byId('changes'), api, room, at)
    this.feed.onPick = (e) => {
      this.select(e.items.map((i) => i.id))
      void this.history.seek(e.time)
    }
    this.chart = new ActivityChart(byId<HTMLCanvasElement>('chart'), api, room, this.history)
    this.bar = new TimelineBar(this.history)
    this.graph.onStructure = () => {
      this.presence.refresh()
      this.trails.reattach()
    }

    this.live = o.live
    this.geometry = new DocGeometry(this.live.doc, (ids) => this.graph.refreshData(ids))
    this.graph.source = this.geometry
    this.live.onStatus = () => this.renderStatus()
    this.live.onPeers = (peers) => this.presence.setPeers(peers)
    this.live.provider.on('sync', (synced: boolean) => {
      if (synced && this.history.mode === 'live') this.showLive()
    })
    // It may have synced while the page was still asking for the room's span.
    if (this.live.synced) queueMicrotask(() => this.history.mode === 'live' && this.showLive())
    else void this.showProjected(api, room)
    this.presence.setPeers(this.live.peers())

    this.history.onScene = (objects) => {
      // Until the server's scene carries data ids, a past moment shows each object's geometry as it is now.
      this.graph.setAll(objects.map((o) => ({ ...o, data: o.data ?? dataIdOf(this.live.scene, o.id) })))
      this.afterSceneReplaced()
      // The person moved the slider: drawn on the next frame, not at the pace of others' edits.
      this.viewport.invalidate()
    }
    this.history.onLive = () => {
      this.showLive()
      this.viewport.invalidate()
    }
    let lastRange = ''
    this.history.onChange = () => {
      this.bar.render()
      this.renderStatus()
      const r = this.history.range()
      const key = r ? `${Math.round(r[0])}-${Math.round(r[1])}` : ''
      if (key !== lastRange) {
        lastRange = key
        void this.chart.reload()
        this.trailsDirty = true
      }
      this.chart.draw()
    }
    this.history.onError = (e) => this.flash(`could not load that moment: ${e.message}`)

    this.viewport.onFrame((dt) => this.frame(dt))
    this.listenForKeys()
    byId('room-button').textContent = room
    byId('room-button').hidden = false
    const role = byId('role')
    role.hidden = o.span.role !== 'read'
    role.textContent = 'read-only'
    this.bar.render()
    this.renderStatus()
    // Keep the timeline's end, the chart and the feed following the live room.
    setInterval(() => this.follow(), 1000)
  }

  /** Selects objects here (and tells the others through presence). */
  select(ids: string[]): Promise<void> {
    this.selection = ids
    this.presence.setMine(ids)
    this.viewport.invalidate()
    this.live.select(ids)
    this.inspector.show(ids[ids.length - 1] ?? null)
    return this.trails.show(ids, this.history.range()).then(() => this.viewport.invalidate())
  }

  private frame(dt: number): boolean {
    this.history.tick(dt)
    if (this.history.mode === 'live' && this.live.synced) {
      const { put, removed } = this.live.takeChanges()
      if (put.length || removed.length) {
        this.graph.upsert(put, removed)
        this.onApplied?.(put)
        if (this.selection.some((id) => put.some((o) => o.id === id) || removed.includes(id))) {
          this.inspector.refresh()
          this.trailsDirty = true
        }
      }
    }
    if (this.trailsDirty && this.selection.length) {
      this.trailsDirty = false
      void this.trails.show(this.selection, this.history.range())
    }
    return this.graph.sync()
  }

  /**
   * Until the live doc has synced, the scene as the projection holds it now: a
   * long-lived room's doc can take seconds to sync (its state grows with the
   * edits it has seen), the projection's current tables answer in milliseconds.
   */
  private async showProjected(api: Api, room: string): Promise<void> {
    try {
      const s = await api.scene(room, undefined)
      if (this.live.synced || this.history.mode !== 'live') return
      this.graph.setAll(s.objects.map((o) => ({ ...o, data: o.data ?? null })))
      this.afterSceneReplaced()
      if (!this.framed && this.graph.size > 0) {
        this.framed = true
        this.viewport.frame(this.graph.worldBounds())
      }
      performance.mark('scenesync:projected')
      this.viewport.markContent()
    } catch {
      // The live doc will show the scene when it has synced.
    }
  }

  private showLive(): void {
    this.live.takeChanges()
    this.graph.setAll(this.live.readAll())
    this.afterSceneReplaced()
    if (!this.framed && this.graph.size > 0) {
      this.framed = true
      this.viewport.frame(this.graph.worldBounds())
    }
    this.viewport.markContent()
    // The chart and the feed ask the server for history after the live scene is up, so
    // their queries (a scan of the room's log for the chart) never delay the first frame.
    if (!this.historyLoaded) {
      this.historyLoaded = true
      performance.mark('scenesync:synced')
      requestAnimationFrame(() => {
        void this.chart.reload()
        void this.feed.load()
      })
    } else this.feed.refresh(0)
  }

  private afterSceneReplaced(): void {
    this.presence.refresh()
    this.trails.reattach()
    this.inspector.refresh()
    this.feed.refresh()
    this.renderStatus()
  }

  /** Once a second: the room moved on (live edits): extend the timeline, refresh the chart and feed. */
  private follow(): void {
    const changed = this.live.lastChangeAt > this.lastSpanAt
    const now = Date.now()
    if (!changed && now - this.lastSpanAt < 15_000) return
    this.lastSpanAt = now
    void this.history.refreshSpan().catch(() => {})
    if (now - this.lastChartAt > 2000) {
      this.lastChartAt = now
      void this.chart.reload()
    }
    if (this.history.mode === 'live') this.feed.refresh()
  }

  private renderStatus(): void {
    const el = this.statusEl
    el.hidden = false
    const live = this.live?.status ?? 'connecting'
    if (this.history.mode === 'history') {
      el.className = 'pill past'
      el.textContent = 'viewing the past'
      this.banner.hidden = false
      this.banner.textContent = `Viewing ${clockTime(this.history.t)} — the room goes on live; press Live to return`
    } else {
      el.className = `pill ${live === 'synced' ? 'live' : live}`
      el.textContent = live === 'synced' ? 'live' : live === 'connecting' ? 'connecting…' : 'offline — retrying'
      this.banner.hidden = true
    }
  }

  private flashTimer: ReturnType<typeof setTimeout> | null = null
  private flash(text: string): void {
    this.banner.hidden = false
    this.banner.textContent = text
    if (this.flashTimer) clearTimeout(this.flashTimer)
    this.flashTimer = setTimeout(() => this.renderStatus(), 4000)
  }

  private listenForKeys(): void {
    window.addEventListener('keydown', (e) => {
      if ((e.target as HTMLElement).closest('input, select, textarea')) return
      if (e.key === ' ') {
        e.preventDefault()
        if (this.history.playing) this.history.pause()
        else this.history.play()
      } else if (e.key === 'f' || e.key === 'Home') {
        this.viewport.frame(this.graph.worldBounds())
      } else if (e.key === 'l') {
        this.history.goLive()
      } else if (e.key === 'Escape') {
        void this.select([])
      }
    })
  }
}

function toggle(list: string[], id: string): string[] {
  return list.includes(id) ? list.filter((x) => x !== id) : [...list, id]
}
