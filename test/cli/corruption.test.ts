/**
 * Damaged data files: a log or projection that is truncated, has a torn page,
 * or is not SQLite at all. `serve` must refuse to start (exit 6) with a message
 * naming the file and the check that failed, never serving an empty or partial
 * room over a damaged log; `scenesync check` finds the same damage, and a
 * projection that differs from a rebuild of its log, and says where.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { IDENTITY_XFORM, SceneDoc } from '../../src/crdt/index.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { ROOT, cliArgs, spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, cliArgs(...args), { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, SCENESYNC_SECRET: '' } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A data folder with a real log (many pages) and its projection, closed cleanly. */
async function dataFolder(entries = 120): Promise<string> {
  const dir = tmpDir()
  cleanup.push(() => rmTmp(dir))
  const log = SqliteEventLog.open(dir, { durability: 'normal' })
  const scene = new SceneDoc()
  const ups: Uint8Array[] = []
  scene.doc.on('update', (u: Uint8Array) => ups.push(u))
  for (let i = 0; i < entries; i++) {
    scene.upsertObject(`o${i % 7}`, { name: `Object ${i % 7} ${'x'.repeat(200)}`, type: 'EMPTY', xform: { ...IDENTITY_XFORM, location: [i, 0, 0] } })
    // Many small commits: many pages, so damage in the middle hits live data.
    await log.append('r', [{ update: ups.pop()!, origin: { client: scene.doc.clientID, user: 'u' } }])
  }
  const db = openDatabase(path.join(dir, 'projection.sqlite'))
  await new Projector(log, db).catchUp()
  db.close()
  log.checkpoint()
  await log.close()
  return dir
}

const logFile = (dir: string) => path.join(dir, 'log.sqlite')
const projFile = (dir: string) => path.join(dir, 'projection.sqlite')

function tear(file: string, page: number): void {
  const fd = fs.openSync(file, 'r+')
  const junk = Buffer.alloc(4096)
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 7) & 0xff
  fs.writeSync(fd, junk, 0, junk.length, page * 4096)
  fs.closeSync(fd)
}

describe('damaged data files', () => {
  it('serve refuses a log that is not SQLite at all, naming the file and the check (exit 6)', () => {
    const dir = tmpDir()
    cleanup.push(() => rmTmp(dir))
    fs.writeFileSync(logFile(dir), 'these are not the bytes you are looking for\n'.repeat(100))
    const r = cli('serve', '--port', '0', '--data', dir)
    expect(r.code).toBe(6)
    expect(r.stderr).toMatch(/log\.sqlite is damaged: header failed: not an SQLite database/)
    expect(r.stderr).toMatch(/restore the data folder from a backup/)
  })

  it('serve refuses a truncated log (exit 6) instead of serving part of the room', async () => {
    const dir = await dataFolder()
    const size = fs.statSync(logFile(dir)).size
    fs.truncateSync(logFile(dir), Math.floor(size / 4096 / 2) * 4096)
    const r = cli('serve', '--port', '0', '--data', dir)
    expect(r.code).toBe(6)
    expect(r.stderr).toMatch(/log\.sqlite is damaged: size failed: the file holds \d+ of the \d+ pages its header names \(truncated\)/)
  })

  it('serve refuses a log with a torn page (exit 6), naming SQLite’s integrity check', async () => {
    const dir = await dataFolder()
    const pages = fs.statSync(logFile(dir)).size / 4096
    tear(logFile(dir), Math.floor(pages / 2))
    const r = cli('serve', '--port', '0', '--data', dir)
    expect(r.code).toBe(6)
    expect(r.stderr).toMatch(/log\.sqlite is damaged: (quick_check|open) failed: /)
  })

  it('serve refuses a projection that is not SQLite and says to rebuild it (exit 6)', async () => {
    const dir = await dataFolder(10)
    fs.writeFileSync(projFile(dir), Buffer.alloc(8192, 0x42))
    const r = cli('serve', '--port', '0', '--data', dir)
    expect(r.code).toBe(6)
    expect(r.stderr).toMatch(/projection\.sqlite is damaged: header failed/)
    expect(r.stderr).toMatch(/scenesync project --rebuild/)
  })

  it('check passes a healthy folder beside a running server, and names what differs in a tampered projection (exit 6)', async () => {
    const dir = await dataFolder(40)
    const srv = await spawnServer(dir)
    cleanup.push(() => void srv.kill('SIGKILL'))
    const ok = cli('check', '--data', dir)
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/log\.sqlite: ok \(integrity_check, 40 entries/)
    expect(ok.stdout).toMatch(/projection\.sqlite: ok \(integrity_check\)/)
    expect(ok.stdout).toMatch(/projection at position 40 equals a rebuild of the log: \d+ tables/)
    await srv.kill('SIGTERM')
    // One value changed behind the projector's back.
    const db = openDatabase(projFile(dir))
    db.exec("UPDATE history SET loc_x = 1000 WHERE seq = 5")
    db.exec("DELETE FROM events WHERE seq = 7")
    db.close()
    const bad = cli('check', '--data', dir)
    expect(bad.code).toBe(6)
    expect(bad.stdout).toMatch(/history: 40 rows, hash differs/)
    expect(bad.stdout).toMatch(/events: 39 rows, a rebuild has 40/)
    expect(bad.stdout).not.toMatch(/objects:/)
  })

  it('check finds a torn log page and a truncated projection (exit 6)', async () => {
    const dir = await dataFolder()
    const pages = fs.statSync(logFile(dir)).size / 4096
    tear(logFile(dir), Math.floor(pages / 2))
    const size = fs.statSync(projFile(dir)).size
    fs.truncateSync(projFile(dir), size - 4096)
    const r = cli('check', '--data', dir)
    expect(r.code).toBe(6)
    expect(r.stdout).toMatch(/log\.sqlite: damaged: /)
    expect(r.stdout).toMatch(/projection\.sqlite: damaged: size failed/)
  })
})
