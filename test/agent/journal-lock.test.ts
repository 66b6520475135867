import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireJournal, journalFile, orphanJournals, tryLock } from '../../src/agent/journal-lock.js'
import { journalKey, roomJournalKey } from '../../src/agent/main.js'
import { healthzUrl, ServerClock } from '../../src/agent/server-clock.js'
import { startServer } from '../helpers/server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const dirs: string[] = []
const dir = () => {
  const d = tmpDir()
  dirs.push(d)
  return d
}
afterEach(() => {
  while (dirs.length) rmTmp(dirs.pop()!)
})

/** A pid that surely runs no process any more. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout)
}

describe('journal locks', () => {
  it('a second agent on the same file and room gets a journal of its own and learns who holds the first', () => {
    const d = dir()
    const key = journalKey('ws://h:1', 'studio', 'scene-1')
    const first = acquireJournal(d, key, process.pid)
    expect(first).toMatchObject({ slot: 0, sharedWith: null, file: journalFile(d, key, 0) })
    const second = acquireJournal(d, key, process.ppid)
    expect(second).toMatchObject({ slot: 1, sharedWith: process.pid, file: journalFile(d, key, 1) })
    expect(fs.readFileSync(`${second.file}.lock`, 'utf8')).toBe(String(process.ppid))
    first.release()
    expect(acquireJournal(d, key, process.ppid).slot, 'a released journal is free again').toBe(0)
  })

  it('a lock left by a process that no longer runs is taken over', () => {
    const d = dir()
    const file = journalFile(d, 'k', 0)
    fs.writeFileSync(`${file}.lock`, String(deadPid()))
    expect(tryLock(file, process.pid)).toBe(true)
    expect(fs.readFileSync(`${file}.lock`, 'utf8')).toBe(String(process.pid))
    expect(tryLock(file, process.ppid), 'held by a live process').toBe(false)
  })

  it('orphans are the journals of the same room, any file, that no live agent holds', () => {
    const d = dir()
    const room = roomJournalKey('ws://h:1', 'studio')
    const mine = journalFile(d, journalKey('ws://h:1', 'studio', 'mine'), 0)
    const crashed = journalFile(d, journalKey('ws://h:1', 'studio', 'crashed'), 0)
    const running = journalFile(d, journalKey('ws://h:1', 'studio', 'running'), 1)
    const legacy = path.join(d, `${room}.journal`)
    const otherRoom = journalFile(d, journalKey('ws://h:1', 'other', 'x'), 0)
    for (const f of [mine, crashed, running, legacy, otherRoom]) fs.writeFileSync(f, '')
    fs.writeFileSync(`${crashed}.lock`, String(deadPid()))
    fs.writeFileSync(`${running}.lock`, String(process.ppid))
    const found = orphanJournals(d, room, mine, process.pid)
    expect(found.map((o) => o.file).sort()).toEqual([crashed, legacy].sort())
    for (const o of found) o.done()
    expect(fs.existsSync(crashed) || fs.existsSync(legacy) || fs.existsSync(`${crashed}.lock`)).toBe(false)
    expect(fs.existsSync(running) && fs.existsSync(otherRoom)).toBe(true)
  })
})

describe('the server-referenced clock', () => {
  it('finds /healthz next to the WebSocket address', () => {
    expect(healthzUrl('ws://127.0.0.1:1234')).toBe('http://127.0.0.1:1234/healthz')
    expect(healthzUrl('wss://sync.example.com/scenesync?token=x')).toBe('https://sync.example.com/scenesync/healthz')
  })

  it('measures this machine\'s offset to the server, and never goes back when the offset shrinks', async () => {
    const srv = await startServer()
    try {
      let skew = -60_000
      const clock = new ServerClock(srv.url, undefined, () => Date.now() + skew)
      await clock.measure()
      expect(clock.measured).toBe(true)
      // Same machine: the offset undoes the minute of skew, give or take half the round trip.
      expect(Math.abs(clock.offset - 60_000)).toBeLessThan(10_000)
      const t = clock.now()
      expect(Math.abs(t - Date.now())).toBeLessThan(10_000)
      skew = +60_000
      await clock.measure()
      expect(clock.now()).toBeGreaterThanOrEqual(t)
    } finally {
      await srv.stop()
    }
  })

  it('keeps the last offset when the server cannot be asked', async () => {
    const clock = new ServerClock('ws://127.0.0.1:1', undefined, () => 1000)
    clock.offset = 250
    await clock.measure()
    expect(clock.offset).toBe(250)
    expect(clock.now()).toBe(1250)
  })
})
