/**
 * The dock's controls over `History`: the time slider across the visible
 * range, play/pause, speed, the clock, and the "Live" button. The slider is a
 * plain range input, so keyboard and assistive tools work on it.
 */
import { byId, h } from './dom.js'
import { clockTime, duration } from './format.js'
import { type History, SPEEDS } from './history.js'

const STEPS = 10_000

export class TimelineBar {
  readonly slider = byId<HTMLInputElement>('slider')
  private readonly play = byId<HTMLButtonElement>('play')
  private readonly speed = byId<HTMLSelectElement>('speed')
  private readonly clock = byId('clock')
  private readonly rangeEl = byId('range')
  private readonly live = byId<HTMLButtonElement>('live')
  private readonly zoomReset = byId<HTMLButtonElement>('zoom-reset')

  constructor(private readonly history: History) {
    this.slider.max = String(STEPS)
    for (const s of SPEEDS) this.speed.append(h('option', { value: String(s), ...(s === 1 ? { selected: true } : {}) }, `${s}×`))
    this.slider.addEventListener('input', () => {
      const r = history.range()
      if (!r) return
      history.pause()
      void history.seek(r[0] + (Number(this.slider.value) / STEPS) * (r[1] - r[0]))
    })
    this.play.addEventListener('click', () => (history.playing ? history.pause() : history.play()))
    this.speed.addEventListener('change', () => (history.speed = Number(this.speed.value)))
    this.live.addEventListener('click', () => history.goLive())
    this.zoomReset.addEventListener('click', () => {
      history.zoom = null
      history.onChange()
    })
  }

  render(): void {
    const hs = this.history
    const r = hs.range()
    const has = r !== null
    this.slider.disabled = !has
    this.play.disabled = !has
    this.speed.disabled = !has
    this.live.disabled = hs.mode === 'live'
    this.live.classList.toggle('on', hs.mode === 'live')
    this.play.textContent = hs.playing ? '❚❚' : '▶'
    this.play.title = hs.playing ? 'Pause (space)' : 'Play from here (space)'
    this.zoomReset.hidden = hs.zoom === null
    if (!r) {
      this.clock.textContent = 'no history yet'
      this.rangeEl.textContent = ''
      return
    }
    const t = hs.mode === 'live' ? (hs.last ?? r[1]) : hs.t
    if (document.activeElement !== this.slider || hs.playing || hs.mode === 'live') {
      this.slider.value = String(hs.mode === 'live' ? STEPS : Math.round(((t - r[0]) / Math.max(1, r[1] - r[0])) * STEPS))
    }
    this.clock.textContent = hs.mode === 'live' ? `Live · last edit ${clockTime(hs.last ?? t, false)}` : `${clockTime(t)} · position ${hs.seq}`
    this.rangeEl.textContent = `${hs.zoom ? 'zoomed: ' : ''}${clockTime(r[0], false)} – ${clockTime(r[1], false)} (${duration(r[1] - r[0])})`
  }
}
