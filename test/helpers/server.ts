/** A real server on a loopback port, in this process, over a real SQLite log and projection. */
import path from 'node:path'
import type { EventLog } from '../../src/log/event-log.js'
import { SqliteEventLog, type SqliteEventLogOptions } from '../../src/log/sqlite-event-log.js'
import { Projector, type ProjectorOptions } from '../../src/projection/projector.js'
import { openDatabase, type SqlDatabase } from '../../src/projection/sql.js'
import type { Limits } from '../../src/server/connection.js'
import { SyncServer } from '../../src/server/sync-server.js'
import type { TokenVerifier } from '../../src/server/tokens.js'
import { rmTmp, tmpDir } from './tmp.js'

export interface TestServer {
  url: string
  http: string
  port: number
  dir: string
  log: SqliteEventLog
  db: SqlDatabase
  server: SyncServer
  projector: Projector
  stop(): Promise<void>
}

export interface StartOptions {
  secret?: string
  /** Accept these tokens (an identity provider's keys); overrides `secret`. */
  tokens?: TokenVerifier
  limits?: Partial<Limits>
  /** Serve this log instead (the embedded one in `dir` is still opened, for `log`). */
  log?: EventLog
  logOptions?: SqliteEventLogOptions
  projectorOptions?: ProjectorOptions
  dir?: string
  unloadAfterMs?: number
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dir = opts.dir ?? tmpDir()
  const log = SqliteEventLog.open(dir, opts.logOptions)
  const db = openDatabase(path.join(dir, 'projection.sqlite'))
  const projector = new Projector(opts.log ?? log, db, { coalesceMs: 1, ...opts.projectorOptions })
  const server = new SyncServer({
    log: opts.log ?? log,
    projection: db,
    port: 0,
    secret: opts.secret ?? null,
    ...(opts.tokens ? { tokens: opts.tokens } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    unloadAfterMs: opts.unloadAfterMs ?? 50,
    health: () => (projector.problem ? [projector.problem] : []),
  })
  projector.start()
  const { port } = await server.listen()
  let stopped = false
  return {
    url: `ws://127.0.0.1:${port}`,
    http: `http://127.0.0.1:${port}`,
    port,
    dir,
    log,
    db,
    server,
    projector,
    stop: async () => {
      if (stopped) return
      stopped = true
      await server.close()
      await projector.stop()
      await log.close()
      db.close()
      if (!opts.dir) rmTmp(dir)
    },
  }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
