/**
 * Two small agent faults: a read-only agent offered its refused edits again on
 * every reconnect, and journal compaction renamed its new file without
 * syncing the folder (so a power loss could bring the old journal back).
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { journalKey, roomJournalKey } from '../../src/agent/main.js'
import { Agent } from '../../src/agent/agent.js'
import type { Outbound } from '../../src/agent/agent-protocol.js'
import { Journal } from '../../src/agent/journal.js'
import { makeToken } from '../../src/server/tokens.js'
import { startServer, waitFor } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  vi.restoreAllMocks()
  while (cleanup.length) await cleanup.pop()!()
})

describe('agent faults', () => {
  it('[S3] a read-only agent does not offer its refused edits again when it reconnects', async () => {
    const secret = 'read-only-secret'
    const s = await startServer({ secret })
    cleanup.push(() => s.stop())
    const dir = tmpDir()
    cleanup.push(() => rmTmp(dir))
    const out: Outbound[] = []
    const agent = new Agent({
      url: s.url,
      room: 'r',
      token: await makeToken(secret, { room: 'r', role: 'read', exp: Math.floor(Date.now() / 1000) + 600 }),
      name: 'Reader',
      journalDir: dir,
      journalKey: journalKey(s.url, 'r', 'file'),
      roomJournalKey: roomJournalKey(s.url, 'r'),
      geometryDir: `${dir}/geometry`,
      emit: (m) => out.push(m),
    })
    cleanup.push(() => agent.close())
    let syncs = 0
    agent.provider.on('sync', (ok: boolean) => ok && syncs++)
    await waitFor(() => syncs === 1, 10_000, 'the first sync')
    agent.apply({ op: 'upsert', id: 'x', name: 'X', type: 'EMPTY' })
    await waitFor(() => out.some((m) => m.type === 'error' && /refused this edit/.test(m.message)), 5000, 'the refusal')
    const refused = s.server.metrics.readOnlyWritesRefused
    expect(refused).toBe(1)
    for (let i = 2; i <= 4; i++) {
      // A dropped connection, as the stock provider sees one.
      agent.provider.disconnect()
      agent.provider.connect()
      await waitFor(() => syncs === i, 10_000, `sync ${i}`)
    }
    await new Promise((r) => setTimeout(r, 200))
    expect(s.server.metrics.readOnlyWritesRefused).toBe(refused)
  })

  it('[B3] journal compaction syncs the folder after the rename, so the new journal survives a power loss', () => {
    const dir = tmpDir()
    cleanup.push(() => rmTmp(dir))
    const file = path.join(dir, 'journal')
    const doc = new Y.Doc()
    doc.getMap('objects').set('k', 1)
    const journal = new Journal(file)
    journal.append(Y.encodeStateAsUpdate(doc))
    const synced: Array<'file' | 'directory'> = []
    const real = fs.fsyncSync
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
      synced.push(fs.fstatSync(fd).isDirectory() ? 'directory' : 'file')
      real(fd)
    })
    journal.compact(doc)
    journal.close()
    expect(synced).toEqual(['file', 'directory'])
    expect(Journal.read(file)).toHaveLength(1)
  })
})
