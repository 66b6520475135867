/**
 * `scenesync serve`: the sync server, the event log and the projector in one
 * process. SIGINT/SIGTERM stop it gracefully: no new connections, in-flight
 * appends finish and are broadcast, the projector stops at a commit, the log
 * closes. Nothing acknowledged is lost.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Cursor } from '../log/event-log.js'
import { verifySqliteFile } from '../log/file-check.js'
import { LOG_FILE, SqliteEventLog, cursorToSeq } from '../log/sqlite-event-log.js'
import type { Logger } from '../logger.js'
import { lockProjection } from '../projection/projection-lock.js'
import { Projector } from '../projection/projector.js'
import { openDatabase } from '../projection/sql.js'
import { DEFAULT_LIMITS } from '../server/connection.js'
import { SyncServer } from '../server/sync-server.js'
import { flag, intFlag, parseArgs } from './args.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'
import { openStore, parseStore } from './open-store.js'

export const SERVE_HELP = `scenesync serve [--host 127.0.0.1] [--port 1234] [--data ./data] [--store sqlite|fdb[:clusterfile]] [--secret S]
  [--max-message-bytes N] [--updates-per-second N] [--connections-per-room N] [--skip-check]
  [--unload-after-ms N]  (how long a room with no connections stays loaded; default 30000)
  On start the log and projection files are checked (header, size, SQLite's quick_check);
  a damaged one stops it with exit code 6. --skip-check leaves out quick_check (very large files).
  environment: SCENESYNC_HOST, SCENESYNC_PORT, SCENESYNC_DATA, SCENESYNC_STORE, SCENESYNC_SECRET`

export interface Running {
  url: string
  stop(): Promise<void>
}

/**
 * Never serve over a damaged file: an empty or partial room served from a
 * damaged log would be taken for the truth (and written over by clients).
 */
function checkDataFiles(data: string, embeddedLog: boolean, skipQuickCheck: boolean): void {
  const depth = skipQuickCheck ? 'header' : 'quick'
  if (embeddedLog) verifySqliteFile(path.join(data, LOG_FILE), depth, 'restore the data folder from a backup (docs/operations.md, Backup and restore); `scenesync check` shows more')
  verifySqliteFile(projectionFile(data), depth, 'the projection can be rebuilt from the log: `scenesync project --rebuild`')
}

export async function startServe(argv: readonly string[], logger: Logger): Promise<Running> {
  const p = parseArgs(argv, { values: ['host', 'port', 'data', 'store', 'secret', 'max-message-bytes', 'updates-per-second', 'connections-per-room', 'unload-after-ms'], booleans: ['skip-check'] })
  const host = flag(p, 'host', 'SCENESYNC_HOST', '127.0.0.1')
  const port = intFlag(p, 'port', 'SCENESYNC_PORT', 1234)
  const data = flag(p, 'data', 'SCENESYNC_DATA', DEFAULT_DATA)
  const store = parseStore(flag(p, 'store', 'SCENESYNC_STORE', 'sqlite'))
  const secret = flag(p, 'secret', 'SCENESYNC_SECRET') ?? null
  const limits = {
    maxMessageBytes: intFlag(p, 'max-message-bytes', 'SCENESYNC_MAX_MESSAGE_BYTES', DEFAULT_LIMITS.maxMessageBytes),
    updatesPerSecond: intFlag(p, 'updates-per-second', 'SCENESYNC_UPDATES_PER_SECOND', DEFAULT_LIMITS.updatesPerSecond),
    connectionsPerRoom: intFlag(p, 'connections-per-room', 'SCENESYNC_CONNECTIONS_PER_ROOM', DEFAULT_LIMITS.connectionsPerRoom),
  }
  const unloadAfterMs = intFlag(p, 'unload-after-ms', 'SCENESYNC_UNLOAD_AFTER_MS', 30_000)
  fs.mkdirSync(data, { recursive: true })
  checkDataFiles(data, store.kind === 'sqlite', p.bools.has('skip-check'))
  const log = await openStore(store, data, logger)
  let projectionLock: ReturnType<typeof lockProjection>
  try {
    projectionLock = lockProjection(projectionFile(data))
  } catch (e) {
    await log.close()
    throw e
  }
  const db = openDatabase(projectionFile(data))
  // The Yjs half of the projector runs on the second core, off the server's event loop;
  // small batches bound how long one SQLite commit holds the loop.
  const projector = new Projector(log, db, { logger, worker: true, batchSize: 500 })
  let head: Cursor = await log.head()
  const offLog = log.subscribe((_room, c) => {
    if (c > head) head = c
  })
  let server: SyncServer
  try {
    server = new SyncServer({
      log,
      projection: db,
      host,
      port,
      secret,
      limits,
      logger,
      unloadAfterMs,
      tailForeign: store.kind === 'fdb',
      health: () => (projector.problem ? [projector.problem] : []),
      refreshMetrics: () => {
        const at = projector.position().cursor
        server.metrics.projectorLag = log instanceof SqliteEventLog ? cursorToSeq(head) - cursorToSeq(at) : head > at ? 1 : 0
      },
    })
  } catch (e) {
    db.close()
    projectionLock.release()
    await log.close()
    throw e
  }
  projector.start()
  const addr = await server.listen()
  const url = `ws://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`
  logger.info('scenesync listening', { url, data, store: store.kind, auth: secret ? 'tokens' : 'off (loopback)' })
  let stopping: Promise<void> | null = null
  return {
    url,
    stop: () =>
      (stopping ??= (async () => {
        await server.close()
        offLog()
        await projector.stop()
        await log.close()
        db.close()
        projectionLock.release()
        logger.info('scenesync stopped')
      })()),
  }
}
