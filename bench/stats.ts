/** Small measuring helpers shared by the benchmarks. */

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}

export function summarize(samples: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = samples.slice().sort((a, b) => a - b)
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, n: s.length }
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** Samples RSS every 100 ms; `peak()` is the largest seen (MB). */
export function rssSampler(): { peak(): number; stop(): void } {
  let peak = process.memoryUsage().rss
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 100)
  t.unref()
  return {
    peak: () => Math.max(peak, process.memoryUsage().rss) / (1 << 20),
    stop: () => clearInterval(t),
  }
}

/** Deterministic PRNG (mulberry32) so every run offers the same workload. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function now(): number {
  return performance.now()
}
