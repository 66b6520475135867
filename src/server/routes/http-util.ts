/**
 * What every HTTP route shares: an error that carries its status, the JSON
 * answer, and the parsing of points of history and numbers in the query.
 */
import type http from 'node:http'
import type { At } from '../../projection/time-travel.js'

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export function parseAt(raw: string | null, name: string): At | undefined {
  if (raw === null || raw === '') return undefined
  if (/^\d+$/.test(raw)) return { seq: Number(raw) }
  const t = Date.parse(raw)
  if (Number.isNaN(t)) throw new HttpError(400, `${name} must be a log position (digits) or an ISO date/time, got ${JSON.stringify(raw)}`)
  return { time: t }
}

/** A time in ms: digits (epoch ms) or an ISO date/time. */
export function parseTime(raw: string | null, name: string): number | undefined {
  if (raw === null || raw === '') return undefined
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
  if (Number.isNaN(t)) throw new HttpError(400, `${name} must be a time: epoch milliseconds or an ISO date/time, got ${JSON.stringify(raw)}`)
  return t
}

export function parseCount(raw: string | null, name: string, dflt: number, max: number): number {
  if (raw === null || raw === '') return dflt
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new HttpError(400, `${name} must be a whole number ≥ 1, got ${JSON.stringify(raw)}`)
  return Math.min(Number(raw), max)
}

export function send(res: http.ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body)
  res.writeHead(status, { 'content-type': type === 'application/json' ? 'application/json; charset=utf-8' : type, 'cache-control': 'no-store' })
  res.end(text)
}
