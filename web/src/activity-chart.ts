/**
 * Edits per second, per person, over the visible range, drawn under the
 * slider so people can find the busy moments: stacked bars in each person's
 * colour, the time axis shared with the slider, a cursor at the moment shown.
 * Click or drag to move there; the wheel zooms around the pointer; a double
 * click shows the whole history again.
 */
import type { Activity, Api } from './api.js'
import { clockTime } from './format.js'
import type { History } from './history.js'
import { personColor } from './colors.js'

const BAR_PX = 3

export class ActivityChart {
  data: Activity | null = null
  private fetching: Promise<void> | null = null
  private wanted: [number, number, number] | null = null

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly api: Api,
    private readonly room: string,
    private readonly history: History,
  ) {
    new ResizeObserver(() => {
      this.draw()
      void this.reload()
    }).observe(canvas)
    this.listen()
  }

  /** Fetches the activity for the visible range (one request at a time; the newest range wins). */
  reload(): Promise<void> {
    const r = this.history.range()
    if (!r) return Promise.resolve()
    const buckets = Math.max(10, Math.floor(this.canvas.clientWidth / BAR_PX))
    this.wanted = [r[0], r[1], buckets]
    if (!this.fetching) {
      this.fetching = (async () => {
        while (this.wanted) {
          const [a, b, n] = this.wanted
          this.wanted = null
          try {
            this.data = await this.api.activity(this.room, Math.floor(a), Math.ceil(b), n)
          } catch {
            // The chart is a guide; the slider and scene work without it.
          }
          this.draw()
        }
        this.fetching = null
      })()
    }
    return this.fetching
  }

  private x(t: number, w: number): number {
    const r = this.history.range()
    if (!r) return 0
    return ((t - r[0]) / Math.max(1, r[1] - r[0])) * w
  }

  private timeAt(px: number): number | null {
    const r = this.history.range()
    if (!r) return null
    return r[0] + (px / Math.max(1, this.canvas.clientWidth)) * (r[1] - r[0])
  }

  draw(): void {
    const c = this.canvas
    const dpr = Math.min(window.devicePixelRatio, 2)
    const w = c.clientWidth
    const hgt = c.clientHeight
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hgt * dpr)) {
      c.width = Math.round(w * dpr)
      c.height = Math.round(hgt * dpr)
    }
    const g = c.getContext('2d')!
    g.setTransform(dpr, 0, 0, dpr, 0, 0)
    g.clearRect(0, 0, w, hgt)
    g.fillStyle = '#181a1e'
    g.fillRect(0, 0, w, hgt)
    const axisH = 14
    const plotH = hgt - axisH - 4
    const d = this.data
    const range = this.history.range()
    if (d && range && d.cells.length > 0) {
      const totals = new Map<number, number>()
      for (const [b, , n] of d.cells) totals.set(b, (totals.get(b) ?? 0) + n)
      const max = Math.max(...totals.values())
      const perSecond = 1000 / d.bucketMs
      const stack = new Map<number, number>()
      for (const [b, u, n] of d.cells) {
        const t0 = d.from + b * d.bucketMs
        const x0 = this.x(t0, w)
        const x1 = Math.max(x0 + 1, this.x(t0 + d.bucketMs, w) - 0.5)
        const below = stack.get(b) ?? 0
        // A square-root scale: one burst (a scene loaded at once) must not flatten every other bar.
        const y1 = plotH + 4 - Math.sqrt(below / max) * plotH
        const y0 = plotH + 4 - Math.sqrt((below + n) / max) * plotH
        stack.set(b, below + n)
        g.fillStyle = personColor(d.users[u]!)
        g.fillRect(x0, y0, x1 - x0, y1 - y0)
      }
      g.fillStyle = '#9098a3'
      g.font = '10px system-ui, sans-serif'
      g.textBaseline = 'top'
      const peak = max * perSecond
      g.fillText(`${peak >= 10 ? Math.round(peak) : peak.toFixed(1)} edits/s (√ scale)`, 4, 2)
      // Legend: who edited in this range.
      let lx = w - 4
      g.textAlign = 'right'
      for (const name of [...d.users].reverse()) {
        g.fillStyle = '#c8ccd2'
        g.fillText(name, lx, 2)
        lx -= g.measureText(name).width + 4
        g.fillStyle = personColor(name)
        g.fillRect(lx - 8, 3, 8, 8)
        lx -= 16
      }
      g.textAlign = 'left'
    } else {
      g.fillStyle = '#5c636d'
      g.font = '11px system-ui, sans-serif'
      g.textBaseline = 'middle'
      g.fillText(!range ? 'no history yet' : this.fetching && !d ? 'counting edits…' : 'no edits in this range', 8, plotH / 2 + 4)
    }
    if (range) this.drawAxis(g, range, w, hgt - axisH)
    // The moment shown.
    const t = this.history.mode === 'history' ? this.history.t : this.history.last
    if (t !== null && range) {
      const x = Math.round(this.x(t, w)) + 0.5
      g.strokeStyle = this.history.mode === 'history' ? '#f5a524' : '#3ecf8e'
      g.lineWidth = 1.5
      g.beginPath()
      g.moveTo(x, 0)
      g.lineTo(x, hgt - axisH)
      g.stroke()
    }
  }

  private drawAxis(g: CanvasRenderingContext2D, [a, b]: [number, number], w: number, y: number): void {
    const steps = [100, 250, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 216e5, 432e5, 864e5]
    const step = steps.find((s) => (b - a) / s <= Math.max(2, w / 110)) ?? 864e5
    g.strokeStyle = '#33383f'
    g.fillStyle = '#7c848f'
    g.font = '10px system-ui, sans-serif'
    g.textBaseline = 'top'
    g.beginPath()
    g.moveTo(0, y + 0.5)
    g.lineTo(w, y + 0.5)
    g.stroke()
    for (let t = Math.ceil(a / step) * step; t <= b; t += step) {
      const x = Math.round(this.x(t, w)) + 0.5
      g.beginPath()
      g.moveTo(x, y)
      g.lineTo(x, y + 3)
      g.stroke()
      const label = clockTime(t, step < 1000)
      if (x + 2 + g.measureText(label).width < w) g.fillText(label, x + 2, y + 3)
    }
  }

  private listen(): void {
    const c = this.canvas
    let dragging = false
    const at = (e: PointerEvent) => this.timeAt(e.clientX - c.getBoundingClientRect().left)
    c.addEventListener('pointerdown', (e) => {
      const t = at(e)
      if (t === null) return
      dragging = true
      c.setPointerCapture(e.pointerId)
      this.history.pause()
      void this.history.seek(t)
    })
    c.addEventListener('pointermove', (e) => {
      if (!dragging) return
      const t = at(e)
      if (t !== null) void this.history.seek(t)
    })
    c.addEventListener('pointerup', () => (dragging = false))
    c.addEventListener(
      'wheel',
      (e) => {
        const r = this.history.range()
        const first = this.history.first
        const last = this.history.last
        if (!r || first === null || last === null) return
        e.preventDefault()
        const pivot = this.timeAt(e.clientX - c.getBoundingClientRect().left) ?? r[0]
        const f = Math.exp(Math.sign(e.deltaY) * 0.2)
        let a = pivot - (pivot - r[0]) * f
        let b = pivot + (r[1] - pivot) * f
        a = Math.max(first, a)
        b = Math.min(Math.max(last, first + 1000), b)
        if (b - a < 200) return
        this.history.zoom = a <= first && b >= last ? null : [a, b]
        this.history.onChange()
      },
      { passive: false },
    )
    c.addEventListener('dblclick', () => {
      this.history.zoom = null
      this.history.onChange()
    })
  }
}
