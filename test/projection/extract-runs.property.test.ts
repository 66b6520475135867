/**
 * The extractor applies a run of one room's entries in one Yjs transaction
 * (a transaction's fixed cost is a large part of applying a small update) and
 * still reads each entry's changes on its own. Whatever the grouping, the rows
 * must be the ones one transaction per entry gives: objects created earlier in
 * the run, deleted ones, bones and rejected values included.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChangeExtractor, type RoomSource } from '../../src/projection/change-extractor.js'
import type { LogEntry } from '../../src/log/event-log.js'
import type { RowBatch } from '../../src/projection/row-batch.js'
import { checkProperty } from '../helpers/prop.js'
import { produce, scriptArb } from '../helpers/projection-fixture.js'

const empty: RoomSource = { loadRoom: async () => ({ state: null, cursor: '', tail: 0, tailBytes: 0, snapshotBytes: 0 }), loadStates: async () => new Map() }

/** Every row of extracting `entries` in batches of `size`, snapshots decoded to sizes (their bytes may merge differently). */
async function rows(entries: LogEntry[], size: number, batchRuns: boolean) {
  const x = new ChangeExtractor(empty, '', { every: 5, tailRatio: 0 }, 32, batchRuns)
  const out: Array<Omit<RowBatch, 'snapshots'> & { snapshots: Array<{ room: string; cursor: string }> }> = []
  for (let i = 0; i < entries.length; i += size) {
    const b = await x.extract(entries.slice(i, i + size), i + 1)
    out.push({ ...b, snapshots: b.snapshots.map((s) => ({ room: s.room, cursor: s.cursor })) })
  }
  return out
}

describe('change extraction in runs', () => {
  it('[P1] a room\'s run of entries in one transaction gives the rows of one transaction per entry, in any batch size and room order', () =>
    checkProperty(
      'P1 extraction runs',
      fc.asyncProperty(scriptArb, fc.integer({ min: 1, max: 40 }), fc.boolean(), async (steps, size, grouped) => {
        let produced = produce(steps)
        // Grouped by room (stable): long runs of one room, as a busy room gives.
        if (grouped) produced = [...produced.filter((p) => p.room === 'studio'), ...produced.filter((p) => p.room !== 'studio')]
        const entries: LogEntry[] = produced.map((p, i) => ({ room: p.room, cursor: String(i + 1).padStart(8, '0'), time: 1000 + i, origin: { client: p.client, user: `u${p.client}` }, update: p.update }))
        const perEntry = await rows(entries, size, false)
        const inRuns = await rows(entries, size, true)
        expect(inRuns).toEqual(perEntry)
        // And the rows do not depend on where the batches (and so the runs) end.
        expect((await rows(entries, 1, true)).flatMap((b) => b.history)).toEqual(perEntry.flatMap((b) => b.history))
      }),
      { numRuns: 60 },
    ))
})
