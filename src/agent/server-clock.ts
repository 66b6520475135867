/**
 * This machine's clock, referenced to the server's: the edit times that decide
 * which of two concurrent edits of a channel is newer (src/crdt/xform-merge.ts)
 * must not depend on whose wall clock is wrong.
 *
 * On each (re)connect the agent asks the server's `GET /healthz` for its time
 * and takes offset = serverTime − midpoint of the request (the usual NTP
 * estimate, off by at most half the round trip). While offline the last offset
 * stays; before the first measurement it is 0 (this machine's clock as is).
 */
import type { Logger } from '../logger.js'

const TIMEOUT_MS = 3000

/** The HTTP address of the server's /healthz, from the WebSocket URL the agent connects to. */
export function healthzUrl(wsUrl: string): string {
  const u = new URL(wsUrl)
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:'
  if (!u.pathname.endsWith('/')) u.pathname += '/'
  u.search = ''
  return new URL('healthz', u).toString()
}

export class ServerClock {
  /** ms to add to this machine's clock to get the server's. */
  offset = 0
  measured = false
  private last = 0

  constructor(
    private readonly url: string,
    private readonly log?: Logger,
    private readonly local: () => number = Date.now,
  ) {}

  /** Now on the server-referenced clock, in whole ms; never goes back, even when the offset is re-measured. */
  now(): number {
    const t = Math.max(Math.round(this.local() + this.offset), this.last)
    this.last = t
    return t
  }

  /** A time read on this machine's clock (ms since the epoch), on the server-referenced clock. */
  fromLocal(t: number): number {
    return Math.round(t + this.offset)
  }

  /** Measures the offset; on failure (an older server, a proxy) keeps the last one. */
  async measure(): Promise<void> {
    try {
      const t0 = this.local()
      const res = await fetch(healthzUrl(this.url), { signal: AbortSignal.timeout(TIMEOUT_MS) })
      const t1 = this.local()
      const body = (await res.json()) as { time?: unknown }
      if (typeof body.time !== 'number' || !Number.isFinite(body.time)) throw new Error('/healthz has no "time"')
      this.offset = body.time - (t0 + t1) / 2
      this.measured = true
      this.log?.debug('server clock', { offset: Math.round(this.offset), roundTrip: t1 - t0 })
    } catch (e) {
      this.log?.debug('server clock not measured', { error: (e as Error).message })
    }
  }
}
