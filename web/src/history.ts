/**
 * Where in time the page is: live, or a moment of the room's history. The
 * scene shown at time t is exactly the server's `scene_at(t)` (`[H1]`: every
 * object at the value of its latest log entry at or before t), fetched over
 * HTTP. While a person drags the slider only the newest position is fetched:
 * one request in flight, and when it lands the latest position asked for, if
 * it moved on meanwhile, is fetched next.
 *
 * Times are the server's clock (log entries carry server time).
 */
import type { Api, SceneObjectJson, Span } from './api.js'

export type Mode = 'live' | 'history'

export interface SeekResult {
  /** ms from the seek to the scene being applied. */
  ms: number
  /** The log position shown (the last entry at or before t). */
  seq: number
  superseded: boolean
  /** Of `ms`: waiting for the server's answer, and applying it to the scene. */
  fetchMs?: number
  applyMs?: number
}

interface Waiter {
  t: number
  started: number
  resolve: (r: SeekResult) => void
  reject: (e: Error) => void
}

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16, 64]

export class History {
  mode: Mode = 'live'
  span: Span | null = null
  /** The moment shown in history mode (server ms). */
  t = 0
  /** The log position shown in history mode. */
  seq = 0
  /** The t whose scene is shown (t moves ahead of it while a fetch is in flight). */
  shownT: number | null = null
  /** The range the slider, chart and trails cover, null for the whole history. */
  zoom: [number, number] | null = null
  playing = false
  speed = 1
  private inflight = false
  private waiters: Waiter[] = []
  /** Server clock minus page clock, from the last span fetched. */
  private skew = 0
  onScene: (objects: SceneObjectJson[], seq: number) => void = () => {}
  onLive: () => void = () => {}
  onChange: () => void = () => {}
  onError: (e: Error) => void = () => {}

  constructor(
    private readonly api: Api,
    private readonly room: string,
  ) {}

  get first(): number | null {
    return this.span?.first?.time ?? null
  }

  get last(): number | null {
    return this.span?.last?.time ?? null
  }

  /** The visible range: the zoom, or the whole history (at least a second wide). */
  range(): [number, number] | null {
    if (this.zoom) return this.zoom
    const a = this.first
    const b = this.last
    if (a === null || b === null) return null
    return [a, Math.max(b, a + 1000)]
  }

  /** Now, on the server's clock. */
  serverNow(): number {
    return Date.now() + this.skew
  }

  async refreshSpan(): Promise<Span> {
    const span = await this.api.span(this.room)
    this.skew = span.now - Date.now()
    this.span = span
    this.onChange()
    return span
  }

  /** Shows the scene at time t; resolves once it is applied (or a later seek superseded it). */
  seek(t: number): Promise<SeekResult> {
    const r = this.range()
    if (r) t = Math.min(Math.max(t, r[0]), this.last ?? r[1])
    this.t = t
    if (this.mode !== 'history') {
      this.mode = 'history'
      this.onChange()
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ t, started: performance.now(), resolve, reject })
      this.pump()
    })
  }

  private pump(): void {
    if (this.inflight) return
    this.inflight = true
    const target = this.t
    const asked = performance.now()
    this.api.scene(this.room, { time: target }).then(
      (res) => {
        this.inflight = false
        const answered = performance.now()
        if (this.mode === 'history') {
          this.seq = res.at
          this.shownT = target
          this.onScene(res.objects, res.at)
          this.onChange()
        }
        // Resolve after the next frame: the view draws the new scene first (its frame callback runs before ours).
        const waiting = this.waiters
        this.waiters = []
        requestAnimationFrame(() => this.settle(waiting, target, res.at, asked, answered))
        if (this.mode === 'history' && this.t !== target) this.pump()
      },
      (e: Error) => {
        this.inflight = false
        for (const w of this.waiters.splice(0)) w.reject(e)
        this.onError(e)
      },
    )
  }

  private settle(waiting: Waiter[], target: number, seq: number, asked: number, answered: number): void {
    const now = performance.now()
    const keep = waiting.filter((w) => {
      if (w.t === target) w.resolve({ ms: now - w.started, seq, superseded: false, fetchMs: answered - asked, applyMs: now - answered })
      else if (w.t !== this.t || this.mode !== 'history') w.resolve({ ms: now - w.started, seq, superseded: true })
      else return true
      return false
    })
    this.waiters.unshift(...keep)
  }

  /** Back to the live scene. */
  goLive(): void {
    this.playing = false
    if (this.mode === 'live') return
    this.mode = 'live'
    for (const w of this.waiters.splice(0)) w.resolve({ ms: 0, seq: this.seq, superseded: true })
    this.onLive()
    this.onChange()
  }

  play(): void {
    const a = this.first
    const b = this.last
    if (a === null || b === null) return
    // From the start when live or at the end; from where it stands otherwise.
    if (this.mode === 'live' || this.t >= b) void this.seek(this.range()![0])
    this.playing = true
    this.onChange()
  }

  pause(): void {
    this.playing = false
    this.onChange()
  }

  /** Advances playback by a frame's time; stops at the last entry. */
  tick(dtMs: number): void {
    if (!this.playing || this.mode !== 'history') return
    const end = Math.min(this.last ?? this.t, this.range()?.[1] ?? Infinity)
    const t = this.t + dtMs * this.speed
    if (t >= end) {
      void this.seek(end)
      this.playing = false
      this.onChange()
      return
    }
    void this.seek(t)
  }
}
