/**
 * Seeded property runs. The seed comes from SCENESYNC_SEED or the clock, and
 * is printed, so any failure can be replayed: `SCENESYNC_SEED=<seed> npm test`.
 * fast-check's own failure message adds the seed and the shrunk path; a seed
 * that once failed becomes a named regression test next to its property.
 */
import fc from 'fast-check'

export function seedFor(name: string): number {
  const env = process.env.SCENESYNC_SEED
  const seed = env !== undefined ? Number(env) : (Date.now() ^ hash(name)) | 0
  // Printed on purpose: the seed is part of the test's output.
  console.log(`[seed] ${name}: ${seed}  (replay: SCENESYNC_SEED=${seed})`)
  return seed
}

function hash(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

export async function checkProperty<T>(name: string, prop: fc.IAsyncPropertyWithHooks<T> | fc.IPropertyWithHooks<T>, params: fc.Parameters<T> = {}): Promise<void> {
  // SCENESYNC_RUNS_SCALE=100 turns a property into a long fuzz run.
  const scale = Number(process.env.SCENESYNC_RUNS_SCALE ?? 1)
  const numRuns = Math.max(1, Math.round((params.numRuns ?? 50) * scale))
  await fc.assert(prop as fc.IAsyncProperty<T>, { seed: seedFor(name), ...params, numRuns } as fc.Parameters<T>)
}
