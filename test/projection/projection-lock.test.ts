/**
 * One process owns a projection file: the server projecting into it, or a
 * rebuild replacing it. With a shared store (FoundationDB) the log's own lock
 * does not keep a rebuild away from a live server's projection, so the
 * projection has a lock of its own.
 */
import fs from 'node:fs'
import { spawnSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { silentLogger } from '../../src/logger.js'
import { rebuildProjection } from '../../src/projection/rebuild.js'
import { startServe } from '../../src/cli/serve.js'
import { projectionFile } from '../../src/cli/data-folder.js'
import { ROOT, cliArgs, spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

function anUpdate(): Uint8Array {
  const d = new Y.Doc()
  d.getMap('objects').set('k', 1)
  return Y.encodeStateAsUpdate(d)
}

describe('projection lock', () => {
  it('[P1] a rebuild of a live server’s projection is refused even when the log does not lock it out (a shared store)', async () => {
    const dir = tmpDir()
    cleanup.push(() => rmTmp(dir))
    const running = await startServe(['--port', '0', '--data', dir], silentLogger)
    cleanup.push(() => running.stop())
    const file = projectionFile(dir)
    const inode = fs.statSync(file).ino
    // Another process's view of the same entries, as with FoundationDB: its own log handle, no folder lock.
    const elsewhere = new SqliteEventLog(':memory:', { durability: 'normal' })
    cleanup.push(() => elsewhere.close())
    await elsewhere.append('r', [{ update: anUpdate(), origin: { client: 1, user: 'u' } }])
    await expect(rebuildProjection(elsewhere, file)).rejects.toThrow(/projection .*projection\.sqlite is in use by another process \(pid \d+/)
    expect(fs.statSync(file).ino).toBe(inode)
    expect(fs.existsSync(`${file}.rebuild`)).toBe(false)
  })

  it('the lock goes with its process: after the server is killed, a rebuild runs', async () => {
    const dir = tmpDir()
    cleanup.push(() => rmTmp(dir))
    const srv = await spawnServer(dir)
    const busy = spawnSync(process.execPath, cliArgs('project', '--rebuild', '--data', dir), { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(busy.status).toBe(3)
    expect(busy.stderr).toMatch(/in use by another process \(pid \d+/)
    await srv.kill('SIGKILL')
    const after = spawnSync(process.execPath, cliArgs('project', '--rebuild', '--data', dir), { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(after.stderr).toMatch(/rebuilt .*projection\.sqlite from 0 log entries/)
    expect(after.status).toBe(0)
  })
})
