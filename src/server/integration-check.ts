/**
 * `[L4]` checks each update alone; a sequence of updates that each pass can
 * still make Yjs throw when the later one is applied: an item that claims
 * clocks a struct the room already holds for the same client (a GC struct,
 * say) continues from that struct, and Yjs reads it as an item and crashes
 * (found by test/log/update-sequences.property.test.ts, seed 1421286327).
 * An update the room logged and broadcast would then throw in every stock
 * client too, so such an update is refused before it is appended.
 *
 * Only an update that reaches below the clocks the room holds, or is about to
 * hold, for one of its clients can fail that way. Ordinary edits start at
 * their client's next clock, so they take the fast path; the rare
 * overlapping one is tried on a copy of the room's doc once everything
 * submitted before it has been applied.
 */
import * as Y from 'yjs'

export class ClockHorizon {
  /** Per client, the end of the clocks any update submitted to the room has claimed. */
  private readonly ends = new Map<number, number>()

  /**
   * Notes `update`'s clocks; true when it reaches below what the room holds
   * or was already sent for one of its clients (so it needs `integrationProblem`).
   * An update Yjs cannot parse is not noted: the append refuses it.
   */
  overlaps(doc: Y.Doc, update: Uint8Array): boolean {
    let meta: { from: Map<number, number>; to: Map<number, number> }
    try {
      meta = Y.parseUpdateMeta(update)
    } catch {
      return false
    }
    let overlap = false
    for (const [client, from] of meta.from) {
      const held = Math.max(Y.getState(doc.store, client), this.ends.get(client) ?? 0)
      if (from < held) overlap = true
    }
    for (const [client, to] of meta.to) if (to > (this.ends.get(client) ?? 0)) this.ends.set(client, to)
    return overlap
  }
}

/**
 * Why applying `updates` in order to `doc` would make Yjs throw (the first
 * that would, and why), or null when they integrate. Leaves `doc` as it is.
 */
export function integrationProblem(doc: Y.Doc, updates: readonly Uint8Array[]): { index: number; reason: string } | null {
  const trial = new Y.Doc({ gc: doc.gc })
  try {
    try {
      Y.applyUpdate(trial, Y.encodeStateAsUpdate(doc))
    } catch {
      // The room's own state does not round-trip: nothing here can tell these updates apart.
      return null
    }
    for (const [index, update] of updates.entries()) {
      try {
        Y.applyUpdate(trial, update)
      } catch (e) {
        return { index, reason: `it claims clocks the room already holds with other content, and Yjs fails on it (${(e as Error).message})` }
      }
    }
    return null
  } finally {
    trial.destroy()
  }
}
