/**
 * Plain-text tables and the ways the CLI shows values to people: local times,
 * short numbers, rotations as Blender shows them (Euler in degrees with its
 * order, quaternions w x y z, axis-angle as an angle about an axis).
 */
import type { Xform } from '../crdt/index.js'

/** Columns padded to their widest cell, two spaces apart. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** `2026-11-24 11:03:12.345` in the local time zone. */
export function localTime(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** The local zone's offset as `UTC+01:00`, for table headers. */
export function zoneName(ms = Date.now()): string {
  const off = -new Date(ms).getTimezoneOffset()
  const sign = off < 0 ? '-' : '+'
  return `UTC${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
}

/** Up to four decimals, no trailing zeros, no -0. */
export function num(n: number): string {
  const r = Number(n.toFixed(4))
  return String(r === 0 ? 0 : r)
}

export const vec = (v: readonly number[]) => v.map(num).join(', ')

const deg = (rad: number) => `${num((rad * 180) / Math.PI)}°`

export function rotationText(x: Xform): string {
  const r = x.rotation
  if (x.mode === 'QUATERNION') return `quat ${vec(r)}`
  if (x.mode === 'AXIS_ANGLE') return `${deg(r[0]!)} about (${vec(r.slice(1))})`
  return `${x.mode} ${r.map(deg).join(', ')}`
}

export interface XformCells {
  location: string
  rotation: string
  scale: string
}

export function xformCells(x: Xform | null | undefined): XformCells {
  if (!x) return { location: '-', rotation: '-', scale: '-' }
  return { location: vec(x.location), rotation: rotationText(x), scale: vec(x.scale) }
}

/** A name next to its id, the way every table shows an object. */
export function named(name: string | null | undefined, id: string): string {
  return `${name ?? '(unnamed)'}  ${id}`
}
