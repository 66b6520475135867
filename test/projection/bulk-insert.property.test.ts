/**
 * The sink writes a batch's events and history rows with multi-row INSERTs
 * (bulk-insert.ts): chunks of 32 rows and single rows for the rest. The
 * tables must be the ones one statement per row writes.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { LogEntry } from '../../src/log/event-log.js'
import { ChangeExtractor, type RoomSource } from '../../src/projection/change-extractor.js'
import { RowSink } from '../../src/projection/row-sink.js'
import { openDatabase } from '../../src/projection/sql.js'
import { checkProperty } from '../helpers/prop.js'
import { dumpTables, produce, stepArb } from '../helpers/projection-fixture.js'

const empty: RoomSource = { loadRoom: async () => ({ state: null, cursor: '', tail: 0, tailBytes: 0, snapshotBytes: 0 }), loadStates: async () => new Map() }

async function tables(entries: LogEntry[], size: number, multiRow: boolean) {
  const db = openDatabase(':memory:')
  const sink = new RowSink(db, multiRow)
  const x = new ChangeExtractor(empty, '', { every: 0, tailRatio: 0 })
  for (let i = 0; i < entries.length; i += size) sink.write(await x.extract(entries.slice(i, i + size), i + 1))
  const out = dumpTables(db)
  db.close()
  return out
}

describe('bulk inserts', () => {
  it('[P1] multi-row inserts write the same tables as one statement per row, for batches below, at and past the chunk size', () =>
    checkProperty(
      'P1 bulk inserts',
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 120 }), async (steps, size) => {
        const produced = produce(steps)
        const entries: LogEntry[] = produced.map((p, i) => ({ room: p.room, cursor: String(i + 1).padStart(8, '0'), time: 1000 + i, origin: { client: p.client, user: `u${p.client}` }, update: p.update }))
        expect(await tables(entries, size, true)).toEqual(await tables(entries, size, false))
      }),
      { numRuns: 30 },
    ))
})
