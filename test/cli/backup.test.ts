/**
 * `scenesync backup DEST` under load: taken while clients keep writing, the
 * copy opens, passes `scenesync check`, holds every update acknowledged before
 * the backup started, is consistent at the position it prints, and restores by
 * copying the folder back.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { IDENTITY_XFORM, SceneDoc } from '../../src/crdt/index.js'
import { START } from '../../src/log/event-log.js'
import { SqliteEventLog, cursorToSeq } from '../../src/log/sqlite-event-log.js'
import { RawClient } from '../helpers/raw-client.js'
import { waitFor } from '../helpers/server.js'
import { ROOT, cliArgs, spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

/** Runs the CLI without blocking this process's event loop (the clients keep writing). */
function cliAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgs(...args), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

const hex = (u: Uint8Array) => Buffer.from(u).toString('hex')

describe('backup and restore', () => {
  it('[L1] a backup taken under load passes check, holds every update acknowledged before it started, and restores', async () => {
    const dir = tmpDir()
    const dest = path.join(tmpDir(), 'backup')
    cleanup.push(() => rmTmp(dir), () => rmTmp(path.dirname(dest)))
    const srv = await spawnServer(dir)
    cleanup.push(() => void srv.kill('SIGKILL'))
    const writers = await Promise.all([0, 1, 2].map(() => RawClient.connect(`${srv.url}/studio`)))
    cleanup.push(() => writers.forEach((w) => w.close()))
    const sent: Array<{ w: RawClient; u: Uint8Array }> = []
    const scenes = writers.map((w, i) => {
      const scene = new SceneDoc()
      scene.doc.on('update', (u: Uint8Array) => {
        sent.push({ w, u })
        w.sendUpdate(u)
      })
      scene.upsertObject(`w${i}`, { name: `writer ${i}`, type: 'EMPTY', xform: IDENTITY_XFORM })
      return scene
    })
    let n = 0
    const load = setInterval(() => scenes.forEach((s, i) => s.setXform(`w${i}`, { ...IDENTITY_XFORM, location: [++n, i, 0] })), 2)
    cleanup.push(() => clearInterval(load))
    await waitFor(() => sent.filter((s) => s.w.echoed(s.u)).length > 200, 20_000, 'acknowledged updates')

    // Acknowledged before the backup starts: each echoed to its sender.
    const ackedBefore = sent.filter((s) => s.w.echoed(s.u)).map((s) => hex(s.u))
    const sentBefore = sent.length
    const backup = await cliAsync('backup', dest, '--data', dir)
    const sentDuring = sent.length - sentBefore
    clearInterval(load)
    expect(backup.stderr).toBe('')
    expect(backup.code).toBe(0)
    const m = /backed up to .* at log position (\d+) \(cursor ([0-9a-f]+)\), with the projection at position (\d+)/.exec(backup.stdout)
    expect(m, backup.stdout).not.toBeNull()
    const [pos, cursor, projPos] = [Number(m![1]), m![2]!, Number(m![3])]
    // The load went on while the backup ran.
    expect(sentDuring).toBeGreaterThan(0)

    const copy = SqliteEventLog.openReadOnly(dest)
    const entries = await copy.readFeed(START, { limit: 1_000_000 })
    await copy.close()
    expect(entries.at(-1)!.cursor).toBe(cursor)
    expect(entries.map((e) => cursorToSeq(e.cursor))).toEqual(Array.from({ length: pos }, (_, i) => i + 1))
    const inCopy = new Set(entries.map((e) => hex(e.update)))
    expect(ackedBefore.filter((u) => !inCopy.has(u))).toEqual([])
    expect(projPos).toBeLessThanOrEqual(pos)

    const check = spawnSync(process.execPath, cliArgs('check', '--data', dest), { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    expect(check.stdout).toMatch(new RegExp(`projection at position ${projPos} equals a rebuild of the log`))
    expect(check.status).toBe(0)

    // Restore: stop the server, put the copy in place of the data folder, start again.
    expect(await srv.kill('SIGTERM')).toBe(0)
    const restored = tmpDir()
    cleanup.push(() => rmTmp(restored))
    fs.cpSync(dest, restored, { recursive: true })
    const again = await spawnServer(restored)
    cleanup.push(() => void again.kill('SIGKILL'))
    const doc = new Y.Doc()
    const p = new WebsocketProvider(again.url, 'studio', doc, { WebSocketPolyfill: WebSocket as never, disableBc: true })
    cleanup.push(() => p.destroy())
    await waitFor(() => p.synced, 15_000, 'sync with the restored server')
    const sv = Y.encodeStateVector(doc)
    expect(ackedBefore.filter((u) => Y.decodeUpdate(Y.diffUpdate(Buffer.from(u, 'hex'), sv)).structs.length > 0)).toEqual([])
    // Its projector catches up from the copied position to the copied log's head.
    await waitFor(async () => ((await (await fetch(`${again.http}/rooms/studio/scene`)).json()) as { at: number }).at === pos, 15_000, 'the projection to catch up')
  }, 120_000)

  it('refuses to write into a folder that is not empty, and explains', async () => {
    const dir = tmpDir()
    const dest = tmpDir()
    cleanup.push(() => rmTmp(dir), () => rmTmp(dest))
    const log = SqliteEventLog.open(dir)
    await log.close()
    fs.writeFileSync(path.join(dest, 'something'), 'x')
    const r = spawnSync(process.execPath, cliArgs('backup', dest, '--data', dir), { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/exists and is not an empty folder: a backup goes into a new folder, it never overwrites/)
  })
})
