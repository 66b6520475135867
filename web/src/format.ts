/** How times, numbers and transforms read on the page. */
import type { Xform } from '../../src/crdt/index.js'

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** 14:03:12.345 (local time), with the date when it is not today. */
export function clockTime(ms: number, withMs = true): string {
  const d = new Date(ms)
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${withMs ? '.' + pad(d.getMilliseconds(), 3) : ''}`
  const today = new Date()
  if (d.toDateString() === today.toDateString()) return time
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`
}

export function ago(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000)
  if (s < 2) return 'just now'
  if (s < 90) return `${s} s ago`
  if (s < 5400) return `${Math.round(s / 60)} min ago`
  if (s < 129600) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86400)} days ago`
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 90_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  if (ms < 5_400_000) return `${Math.round(ms / 60_000)} min`
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`
  return `${Math.round(ms / 86_400_000)} days`
}

export function num(v: number, digits = 3): string {
  const r = Number(v.toFixed(digits))
  return (Object.is(r, -0) ? 0 : r).toString()
}

export function vec(v: readonly number[], digits = 3): string {
  return v.map((x) => num(x, digits)).join(', ')
}

const DEG = 180 / Math.PI

/** Rotation as Blender shows it: Euler angles in degrees, quaternion wxyz, axis-angle with the angle in degrees. */
export function rotation(x: Xform): string {
  const r = x.rotation
  if (x.mode === 'QUATERNION') return `${vec(r, 4)} (wxyz)`
  if (x.mode === 'AXIS_ANGLE') return `${num(r[0]! * DEG, 2)}° about ${vec(r.slice(1), 3)}`
  return `${r.map((a) => num(a * DEG, 2) + '°').join(', ')} (${x.mode})`
}

const VERBS: Record<string, string> = {
  created: 'created',
  deleted: 'deleted',
  location: 'moved',
  rotation: 'rotated',
  rotation_mode: 'rotated',
  scale: 'scaled',
  name: 'renamed',
  parent: 'reparented',
  visible: 'hid or showed',
  type: 'changed the type of',
}

/** ["location", "rotation"] → "moved and rotated": what a person reads in a change list. */
export function whatChanged(what: readonly string[]): string {
  if (what.includes('created')) return 'created'
  if (what.includes('deleted')) return 'deleted'
  const verbs = [...new Set(what.map((w) => (w.startsWith('pose.') ? 'posed' : (VERBS[w] ?? `changed ${w} of`))))]
  if (verbs.length === 0) return 'changed'
  return verbs.length === 1 ? verbs[0]! : `${verbs.slice(0, -1).join(', ')} and ${verbs[verbs.length - 1]}`
}
