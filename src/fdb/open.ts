/**
 * Opening the FoundationDB log. The `foundationdb` binding is an optional
 * dependency that loads libfdb_c the moment it is imported, so it is
 * imported here, lazily, only when the FoundationDB store is chosen: the
 * default (embedded) store and `npm ci` never touch it. When the binding or
 * the client library is missing, opening fails with one line that says what
 * is missing and how to install it.
 */
import type { FdbDatabase, FdbLogger } from './binding.js'
import { FdbEventLog, type FdbEventLogOptions } from './fdb-event-log.js'

/** The binding's highest API version (2.x); a 7.3 client serves it. */
export const FDB_API_VERSION = 720
const PACKAGE = 'foundationdb'
const INSTALL =
  'install the FoundationDB 7.3 client library (the foundationdb-clients package from https://github.com/apple/foundationdb/releases, e.g. foundationdb-clients_7.3.*_amd64.deb) and then run `npm install foundationdb`'

export class FdbUnavailableError extends Error {
  readonly code = 'fdb_unavailable'
  constructor(missing: string, options?: { cause?: unknown }) {
    super(`FoundationDB store unavailable: ${missing}; ${INSTALL}`, options)
  }
}

/** The slice of the binding's module this file calls. */
export interface FdbBindingModule {
  setAPIVersion(version: number): void
  open(clusterFile?: string): unknown
}

export interface OpenFdbOptions extends FdbEventLogOptions {
  /** Cluster file; the binding's default search (FDB_CLUSTER_FILE, ./fdb.cluster, /etc/foundationdb/fdb.cluster) when absent. */
  clusterFile?: string
  logger?: FdbLogger
}

function oneLine(text: string, max = 160): string {
  const s = text.replace(/\s+/g, ' ').trim()
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

/** What is missing, judged from how the import or the API-version call failed. */
export function describeLoadFailure(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code
  const message = oneLine(String((e as Error | null)?.message ?? e))
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(PACKAGE)) {
    return 'the foundationdb npm package is not installed'
  }
  if (/libfdb_c|fdb_c\.|ERR_DLOPEN_FAILED|cannot open shared object/i.test(`${String(code)} ${message}`)) {
    return `libfdb_c, the FoundationDB client library, could not be loaded (${message})`
  }
  if (/api version/i.test(message)) return `the installed libfdb_c does not support API version ${FDB_API_VERSION} (${message})`
  return `the foundationdb binding failed to load (${message})`
}

async function importBinding(): Promise<unknown> {
  // A variable specifier keeps TypeScript and bundlers from resolving the optional package at build time.
  const specifier: string = PACKAGE
  return import(specifier)
}

/**
 * Opens the FoundationDB log. `loadBinding` exists for tests of the failure
 * path; it defaults to importing `foundationdb`.
 */
export async function openFdbEventLog(opts: OpenFdbOptions = {}, loadBinding: () => Promise<unknown> = importBinding): Promise<FdbEventLog> {
  let fdb: FdbBindingModule
  try {
    const mod = (await loadBinding()) as { default?: FdbBindingModule } & FdbBindingModule
    fdb = typeof mod.setAPIVersion === 'function' ? mod : mod.default!
    if (!fdb || typeof fdb.setAPIVersion !== 'function' || typeof fdb.open !== 'function') {
      throw new Error('the module has no setAPIVersion/open; expected foundationdb 2.x')
    }
    fdb.setAPIVersion(FDB_API_VERSION)
  } catch (e) {
    throw new FdbUnavailableError(describeLoadFailure(e), { cause: e })
  }
  let db: Partial<FdbDatabase>
  try {
    db = fdb.open(opts.clusterFile) as Partial<FdbDatabase>
  } catch (e) {
    const where = opts.clusterFile ?? 'the default cluster file'
    throw Object.assign(new Error(`could not open FoundationDB with ${where}: ${oneLine(String((e as Error)?.message ?? e))}`, { cause: e }), { code: 'fdb_open_failed' })
  }
  if (typeof db?.doTn !== 'function' || typeof db.getAndWatch !== 'function') {
    throw new FdbUnavailableError('the foundationdb binding returned a database without doTn/getAndWatch (expected foundationdb 2.x)')
  }
  return new FdbEventLog(db as FdbDatabase, { ownsDatabase: true, ...opts })
}
