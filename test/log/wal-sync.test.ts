/**
 * `[L1]` / `[S1]` with the WAL synced off the event loop (wal-sync.ts): an
 * append resolves, and its entries become visible, only after a sync that
 * started after its commit finished. The sync is held by the test (the real
 * fdatasync runs when released) to look at the moment in between.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { START } from '../../src/log/event-log.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import type { SyncFn } from '../../src/log/wal-sync.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const dirs: string[] = []
afterEach(() => {
  while (dirs.length) rmTmp(dirs.pop()!)
})

function update(key: string, client = 5): Uint8Array {
  const d = new Y.Doc()
  d.clientID = client
  d.getMap('objects').set(key, 1)
  return Y.encodeStateAsUpdate(d)
}
const origin = { client: 5, user: 'u' }
const turn = () => new Promise((r) => setImmediate(r))

/** A sync the test releases one call at a time. */
function heldSync() {
  const calls: Array<(err: NodeJS.ErrnoException | null) => void> = []
  const sync: SyncFn = (fd, done) => calls.push((err) => (err ? done(err) : fs.fdatasync(fd, done)))
  return { sync, calls }
}

/** A log whose first append ('a' in room r) is committed, its sync held. */
async function committedAndHeld() {
  const { sync, calls } = heldSync()
  const dir = tmpDir()
  dirs.push(dir)
  const log = SqliteEventLog.open(dir, { syncWal: sync })
  const first = log.append('r', [{ update: update('a'), origin }])
  await turn()
  await turn()
  return { log, calls, first }
}

describe('the WAL synced off the event loop', () => {
  it('[L1][S1] an append resolves, and shows, only after the sync that follows its commit', async () => {
    const { log, calls, first } = await committedAndHeld()
    const heard: string[] = []
    log.subscribe((room, cursor) => heard.push(`${room}@${cursor}`))
    let resolved = false
    const p = first.then((c) => ((resolved = true), c))
    expect(calls).toHaveLength(1) // committed, syncing
    expect(resolved).toBe(false)
    expect(await log.readFeed(START)).toHaveLength(0)
    expect(await log.readRoom('r', START)).toHaveLength(0)
    expect(await log.head()).toBe(START)
    expect(await log.head('r')).toBe(START)
    expect(heard).toEqual([])
    calls[0]!(null)
    const cursors = await p
    expect(resolved).toBe(true)
    expect((await log.readFeed(START)).map((e) => e.cursor)).toEqual(cursors)
    expect(await log.head('r')).toBe(cursors[0])
    expect(heard).toEqual([`r@${cursors[0]}`])
    await log.close()
  })

  it('appends made while a sync runs are committed together after it, and synced by the next one', async () => {
    const { log, calls, first } = await committedAndHeld()
    const done: string[] = []
    const a = first.then(() => done.push('a'))
    const b = log.append('r', [{ update: update('b', 6), origin }]).then(() => done.push('b'))
    await turn()
    const c = log.append('s', [{ update: update('c', 7), origin }]).then(() => done.push('c'))
    await turn()
    await turn()
    expect(calls).toHaveLength(1)
    calls[0]!(null)
    await a
    expect(done).toEqual(['a'])
    // b and c came during the first sync: one commit after it, one more sync for both.
    await new Promise((r) => setTimeout(r, 20))
    expect(calls).toHaveLength(2)
    expect((await log.readFeed(START)).length).toBe(1)
    calls[1]!(null)
    await Promise.all([b, c])
    expect(done).toEqual(['a', 'b', 'c'])
    expect((await log.readFeed(START)).length).toBe(3)
    await log.close()
  })

  it('a failed sync fails its appends and every later one, with a clear error', async () => {
    const { log, calls, first: p } = await committedAndHeld()
    // Gathered behind the running sync: it fails with it, never committed.
    const behind = log.append('r', [{ update: update('c', 7), origin }])
    await turn()
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
    calls[0]!(eio)
    await expect(p).rejects.toMatchObject({ code: 'log_sync_failed' })
    await expect(behind).rejects.toMatchObject({ code: 'log_sync_failed' })
    expect(calls).toHaveLength(1)
    await expect(p).rejects.toThrow(/could not make .*log\.sqlite-wal durable \(EIO/)
    await expect(log.append('r', [{ update: update('b', 6), origin }])).rejects.toMatchObject({ code: 'log_sync_failed' })
    expect(await log.readFeed(START)).toHaveLength(0)
    await log.close()
  })

  it('[L1] close syncs what was committed and resolves it', async () => {
    const { log, calls, first: p } = await committedAndHeld()
    expect(calls).toHaveLength(1)
    await log.close()
    await expect(p).resolves.toHaveLength(1)
    const again = SqliteEventLog.open(path.dirname(log.file))
    expect(await again.readFeed(START)).toHaveLength(1)
    await again.close()
  })

  it('with the real fdatasync, every append resolves and shows', async () => {
    const dir = tmpDir()
    dirs.push(dir)
    const log = SqliteEventLog.open(dir)
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(i % 2 ? 'a' : 'b', [{ update: update(`k${i}`, 10 + i), origin }])))
    // One group commit orders its entries by room: compare as sets, and the feed ascending.
    const feed = (await log.readFeed(START, { limit: 100 })).map((e) => e.cursor)
    expect(feed).toEqual([...feed].sort())
    expect([...feed].sort()).toEqual(all.flat().sort())
    await log.close()
  })
})
