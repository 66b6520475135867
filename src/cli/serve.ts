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
import { TokenVerifier } from '../server/tokens.js'
import { WalCheckpointer } from '../server/wal-checkpointer.js'
import { Command, Option } from 'commander'
import { nonNegativeInt } from './args.js'
import { type HelpOutput, epilog, logLevelOption, prepare, runSync } from './command-line.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'
import { type StoreSpec, openStore, parseStore } from './open-store.js'

export interface ServeOptions {
  host: string
  port: number
  data: string
  store: StoreSpec
  secret: string | null
  /** An identity provider's keys: a JSON Web Key Set file, or a PEM public key. */
  jwks?: string
  publicKey?: string
  issuer?: string
  audience?: string
  maxMessageBytes: number
  updatesPerSecond: number
  connectionsPerRoom: number
  skipCheck: boolean
  /** How long a room with no connections stays loaded. */
  unloadAfterMs: number
}

interface ServeFlags extends Omit<ServeOptions, 'secret' | 'store'> {
  store: string
  secret?: string
  logLevel: string
}

/** `scenesync serve`'s flags; `action` gets them checked. */
export function serveCommand(action: (o: ServeOptions, flags: { logLevel: string }) => Promise<void> | void): Command {
  const cmd = new Command('serve')
    .summary('the server with the event log and the projection')
    .description('The sync server (y-websocket protocol, the room is the URL path), the event log and the projector, with the HTTP API on the same port.')
    .usage('[--host 127.0.0.1] [--port 1234] [--data ./data] [--store sqlite|fdb[:clusterfile]] [--secret S] [options]')
    .addOption(new Option('--host <host>', 'address to listen on; any other than loopback needs --secret').env('SCENESYNC_HOST').default('127.0.0.1'))
    .addOption(new Option('--port <n>', 'port for WebSocket and HTTP (0: any free port)').env('SCENESYNC_PORT').default(1234).argParser(nonNegativeInt))
    .addOption(new Option('--data <dir>', 'the data folder: log.sqlite and projection.sqlite').env('SCENESYNC_DATA').default(DEFAULT_DATA))
    .addOption(new Option('--store <store>', 'the event log: sqlite (embedded), fdb or fdb:<cluster file>').env('SCENESYNC_STORE').default('sqlite'))
    .addOption(new Option('--secret <s>', 'HS256 secret for tokens (scenesync token); without a secret or keys, a loopback server runs without auth').env('SCENESYNC_SECRET'))
    .addOption(new Option('--jwks <file>', "also accept tokens signed with these keys: an identity provider's JSON Web Key Set (RS256, ES256, EdDSA)").env('SCENESYNC_JWKS'))
    .addOption(new Option('--public-key <file>', 'also accept tokens signed with this key: a PEM public key or certificate (RS256, ES256, EdDSA)').env('SCENESYNC_PUBLIC_KEY'))
    .addOption(new Option('--issuer <iss>', 'tokens must carry this iss claim').env('SCENESYNC_TOKEN_ISSUER'))
    .addOption(new Option('--audience <aud>', 'tokens must carry this aud claim').env('SCENESYNC_TOKEN_AUDIENCE'))
    .addOption(new Option('--max-message-bytes <n>', 'largest message a client may send').env('SCENESYNC_MAX_MESSAGE_BYTES').default(DEFAULT_LIMITS.maxMessageBytes).argParser(nonNegativeInt))
    .addOption(new Option('--updates-per-second <n>', 'updates (and sync requests) a connection may send per second').env('SCENESYNC_UPDATES_PER_SECOND').default(DEFAULT_LIMITS.updatesPerSecond).argParser(nonNegativeInt))
    .addOption(new Option('--connections-per-room <n>', 'connections one room may hold').env('SCENESYNC_CONNECTIONS_PER_ROOM').default(DEFAULT_LIMITS.connectionsPerRoom).argParser(nonNegativeInt))
    .addOption(new Option('--unload-after-ms <n>', 'how long a room with no connections stays loaded').env('SCENESYNC_UNLOAD_AFTER_MS').default(30_000).argParser(nonNegativeInt))
    .option('--skip-check', "leave out SQLite's quick_check of the data files at start (very large files)")
    .addOption(logLevelOption())
    // Not async: a bad value throws here, synchronously, also when parsed with runSync.
    .action((f: ServeFlags) =>
      action(
        {
          host: f.host,
          port: f.port,
          data: f.data,
          store: parseStore(f.store),
          secret: f.secret ?? null,
          ...(f.jwks ? { jwks: f.jwks } : {}),
          ...(f.publicKey ? { publicKey: f.publicKey } : {}),
          ...(f.issuer ? { issuer: f.issuer } : {}),
          ...(f.audience ? { audience: f.audience } : {}),
          maxMessageBytes: f.maxMessageBytes,
          updatesPerSecond: f.updatesPerSecond,
          connectionsPerRoom: f.connectionsPerRoom,
          skipCheck: f.skipCheck === true,
          unloadAfterMs: f.unloadAfterMs,
        },
        { logLevel: f.logLevel },
      ),
    )
  return epilog(
    cmd,
    `On start the log and projection files are checked (header, size, SQLite's quick_check);
a damaged one stops it with exit code 6. SIGINT or SIGTERM stop it gracefully.`,
  )
}

/** `scenesync serve` flags as options (tests and tools that start a server in their own process). */
export function parseServe(argv: readonly string[]): ServeOptions {
  let out: ServeOptions | undefined
  const root = prepare(new Command('scenesync').addCommand(serveCommand((o) => void (out = o))), { out: () => {} } satisfies HelpOutput)
  runSync(root, ['serve', ...argv])
  if (!out) throw new Error('scenesync serve: no options parsed')
  return out
}

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

export async function startServe(options: ServeOptions | readonly string[], logger: Logger): Promise<Running> {
  const o = Array.isArray(options) ? parseServe(options) : (options as ServeOptions)
  const { host, port, data, store } = o
  const keys = { secret: o.secret, ...(o.jwks ? { jwksFile: o.jwks } : {}), ...(o.publicKey ? { publicKeyFile: o.publicKey } : {}), ...(o.issuer ? { issuer: o.issuer } : {}), ...(o.audience ? { audience: o.audience } : {}) }
  // Key files are read before anything is opened: a bad one stops the start (exit 5).
  const tokens = TokenVerifier.configured(keys) ? new TokenVerifier(keys) : null
  const limits = { maxMessageBytes: o.maxMessageBytes, updatesPerSecond: o.updatesPerSecond, connectionsPerRoom: o.connectionsPerRoom }
  const unloadAfterMs = o.unloadAfterMs
  fs.mkdirSync(data, { recursive: true })
  checkDataFiles(data, store.kind === 'sqlite', o.skipCheck)
  const log = await openStore(store, data, logger)
  let projectionLock: ReturnType<typeof lockProjection>
  try {
    projectionLock = lockProjection(projectionFile(data))
  } catch (e) {
    await log.close()
    throw e
  }
  const db = openDatabase(projectionFile(data))
  // The projector's Yjs half and its SQL half run in a worker thread on the second core
  // (it writes the file through its own connection), so the server's event loop only reads
  // the feed for it. It gathers 25 ms of entries per batch rather than 5: fewer, larger
  // commits cost less CPU (when its SQL ran on the loop, at 1,000 updates/s edit→peer p99
  // went 12.7–13.2 → 8.8–10.0 ms), for a projection lag p99 of about 35 ms instead of 19.
  const projector = new Projector(log, db, { logger, worker: true, sinkFile: projectionFile(data), batchSize: 500, coalesceMs: 25 })
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
      tokens,
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
  // Off the event loop: an inline checkpoint would stall every room (wal-checkpointer.ts).
  const checkpointer = new WalCheckpointer([...(store.kind === 'sqlite' ? [path.join(data, LOG_FILE)] : []), projectionFile(data)], { logger })
  const url = `ws://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`
  logger.info('scenesync listening', { url, data, store: store.kind, auth: tokens ? `tokens (${tokens.algorithms.join(', ')})` : 'off (loopback)' })
  let stopping: Promise<void> | null = null
  return {
    url,
    stop: () =>
      (stopping ??= (async () => {
        await server.close()
        offLog()
        await projector.stop()
        await checkpointer.stop()
        await log.close()
        db.close()
        projectionLock.release()
        logger.info('scenesync stopped')
      })()),
  }
}
