/**
 * A token bucket for per-connection rate limits. It runs on the monotonic
 * clock: a step of the wall clock (NTP, a resumed VM) neither drains it, which
 * would close every writer at once, nor fills it.
 */

export class TokenBucket {
  private tokens: number
  private last: number

  /** `rate` tokens per second, holding at most `burst` (two seconds' worth by default). */
  constructor(
    private readonly rate: number,
    private readonly burst = rate * 2,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst
    this.last = now()
  }

  /** Takes `n` tokens if there are; a cost above the burst needs a full bucket. */
  take(n = 1): boolean {
    const t = this.now()
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, t - this.last) / 1000) * this.rate)
    this.last = t
    const cost = Math.min(n, this.burst)
    if (this.tokens < cost) return false
    this.tokens -= cost
    return true
  }
}
