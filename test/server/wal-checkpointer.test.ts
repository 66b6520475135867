import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { type CheckpointResult, WalCheckpointer } from '../../src/server/wal-checkpointer.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

function walDb(): { file: string; db: Database.Database } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-ckpt-'))
  dirs.push(dir)
  const file = path.join(dir, 'x.sqlite')
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  // Only the thread checkpoints here, so what it does is what is seen.
  db.pragma('wal_autocheckpoint = 0')
  db.exec('CREATE TABLE t (b BLOB)')
  return { file, db }
}

describe('WalCheckpointer', () => {
  it('copies the WAL into the database from its own thread while the writer goes on, so the WAL is reused from its start', async () => {
    const { file, db } = walDb()
    const insert = db.prepare('INSERT INTO t VALUES (?)')
    for (let i = 0; i < 500; i++) insert.run(Buffer.alloc(4000, i))
    const rounds: CheckpointResult[][] = []
    const c = new WalCheckpointer([file], { intervalMs: 20, onRound: (r) => rounds.push(r) })
    try {
      const deadline = Date.now() + 10_000
      while (!rounds.some((r) => r[0] && r[0].walFrames >= 500 && r[0].checkpointed === r[0].walFrames) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20))
      }
      const done = rounds.find((r) => r[0] && r[0].walFrames >= 500 && r[0].checkpointed === r[0].walFrames)
      expect(done, JSON.stringify(rounds.slice(-3))).toBeDefined()
      // Everything is in the database file itself: a fresh writer commit restarts the WAL at frame 1.
      const walBefore = fs.statSync(`${file}-wal`).size
      insert.run(Buffer.alloc(10, 1))
      expect(fs.statSync(`${file}-wal`).size).toBe(walBefore)
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>
      expect(r!.log).toBeLessThan(10)
      expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(501)
    } finally {
      await c.stop()
      db.close()
    }
  })

  it('reports a file it cannot open and goes on with the others', async () => {
    const { file, db } = walDb()
    const missing = path.join(path.dirname(file), 'gone.sqlite')
    const warnings: string[] = []
    const rounds: CheckpointResult[][] = []
    const logger = { debug() {}, info() {}, warn: (msg: string, f?: Record<string, unknown>) => warnings.push(`${msg} ${JSON.stringify(f)}`), error() {} }
    const c = new WalCheckpointer([missing, file], { intervalMs: 20, logger, onRound: (r) => rounds.push(r) })
    try {
      const deadline = Date.now() + 10_000
      while (rounds.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(warnings.some((w) => w.includes('gone.sqlite'))).toBe(true)
      expect(rounds.at(-1)!.map((r) => r.file)).toEqual([file])
    } finally {
      await c.stop()
      db.close()
    }
  })
})
