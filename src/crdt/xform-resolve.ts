/**
 * Who merges concurrent transform writes: every replica that sees a value it
 * held replaced by a concurrent write (xform-conflicts.ts) and finds a channel
 * of the replaced value newer writes the per-channel merge (xform-merge.ts).
 *
 * Every replica that notices the same pair computes the same value, so
 * duplicate merges converge; the merged write is causally after both values,
 * so it is never merged again itself, and a merge only ever moves channel
 * times forward, so the exchange ends.
 */
import type * as Y from 'yjs'
import type { SceneDoc } from './scene-doc.js'
import { concurrentXformReplacements } from './xform-conflicts.js'
import { hasNewerChannel, mergeXform } from './xform-merge.js'
import { type StampedXform, decodeStampedXform } from './xform.js'

export interface MergedXform {
  id: string
  bone: string | null
  value: StampedXform
}

/**
 * Call from `afterTransaction` for a transaction that came from elsewhere:
 * writes the merged values (one transaction, with `origin`) and returns them.
 */
export function resolveConcurrentXforms(scene: SceneDoc, tr: Y.Transaction, origin: unknown): MergedXform[] {
  const merged: MergedXform[] = []
  for (const r of concurrentXformReplacements(tr, scene.objects)) {
    const winner = decodeStampedXform(r.winner)
    const replaced = decodeStampedXform(r.replaced)
    // A value that does not read is reported by the readers; it cannot be merged.
    if (!winner.ok || !replaced.ok || !hasNewerChannel(winner.value, replaced.value)) continue
    if (!scene.has(r.id)) continue
    merged.push({ id: r.id, bone: r.bone, value: mergeXform(winner.value, replaced.value) })
  }
  if (merged.length) {
    scene.transact(() => {
      for (const m of merged) scene.storeStampedXform(m.id, m.value, m.bone ?? undefined)
    }, origin)
  }
  return merged
}
