import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { IDENTITY_XFORM, SceneDoc } from '../../src/crdt/index.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { snapshotDue } from '../../src/projection/snapshot-policy.js'
import { loadRoom } from '../../src/projection/load-room.js'

describe('snapshot policy', () => {
  it('waits for both the entries and the bytes', () => {
    const p = { every: 10, tailRatio: 2 }
    expect(snapshotDue(p, { entries: 9, bytes: 1e9, snapshotBytes: 1 })).toBe(false)
    expect(snapshotDue(p, { entries: 10, bytes: 199, snapshotBytes: 100 })).toBe(false)
    expect(snapshotDue(p, { entries: 10, bytes: 200, snapshotBytes: 100 })).toBe(true)
    // A room never snapshotted has no size to weigh against.
    expect(snapshotDue(p, { entries: 10, bytes: 1, snapshotBytes: 0 })).toBe(true)
    expect(snapshotDue({ every: 0, tailRatio: 0 }, { entries: 1e9, bytes: 1e9, snapshotBytes: 0 })).toBe(false)
    expect(snapshotDue({ every: 10, tailRatio: 0 }, { entries: 10, bytes: 0, snapshotBytes: 1e9 })).toBe(true)
  })

  it('a big room is snapshotted when its tail outweighs its last snapshot, and loads the same from any of them', async () => {
    const log = new SqliteEventLog(':memory:')
    const writer = new SceneDoc(new Y.Doc())
    const updates: Uint8Array[] = []
    writer.doc.on('update', (u: Uint8Array) => updates.push(u))
    // 200 objects make a state far bigger than one move.
    for (let i = 0; i < 200; i++) writer.upsertObject(`o${i}`, { name: `Object ${i}`, type: 'EMPTY' })
    for (let step = 0; step < 3000; step++) writer.writeXformChannels(`o${step % 200}`, { ...IDENTITY_XFORM, location: [step, 0, 0] }, { channels: ['location'], time: step })
    for (const u of updates) await log.append('r', [{ update: u, origin: { client: writer.doc.clientID, user: 'w' } }])
    const db = openDatabase(':memory:')
    const sizes: number[] = []
    const put = log.putSnapshot.bind(log)
    log.putSnapshot = async (s) => {
      sizes.push(s.state.length)
      return put(s)
    }
    await new Projector(log, db, { snapshotEvery: 100, batchSize: 50 }).catchUp()
    const byEntries = Math.floor(updates.length / 100)
    expect(sizes.length).toBeGreaterThan(0)
    // Fewer than counting entries alone would store: each waited for twice its predecessor's bytes.
    expect(sizes.length).toBeLessThan(byEntries)
    const loaded = await loadRoom(log, 'r')
    expect(loaded.snapshotBytes).toBe(sizes[sizes.length - 1])
    expect(loaded.tailBytes).toBeLessThan(2 * loaded.snapshotBytes + 200)
    expect(new SceneDoc(loaded.doc).objects.toJSON()).toEqual(writer.objects.toJSON())
    await log.close()
  })
})
