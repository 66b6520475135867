/**
 * `--store sqlite | fdb[:clusterfile]`: opens the chosen EventLog. The
 * FoundationDB module is imported only when chosen, so the default path never
 * loads the optional binding.
 */
import type { EventLog } from '../log/event-log.js'
import { SqliteEventLog } from '../log/sqlite-event-log.js'
import type { Logger } from '../logger.js'
import { UsageError } from './args.js'

export type StoreSpec = { kind: 'sqlite' } | { kind: 'fdb'; clusterFile?: string }

export function parseStore(raw: string): StoreSpec {
  if (raw === 'sqlite') return { kind: 'sqlite' }
  if (raw === 'fdb') return { kind: 'fdb' }
  if (raw.startsWith('fdb:') && raw.length > 4) return { kind: 'fdb', clusterFile: raw.slice(4) }
  throw new UsageError(`--store must be sqlite, fdb or fdb:<cluster file>, got ${JSON.stringify(raw)}`)
}

export async function openStore(spec: StoreSpec, data: string, logger: Logger): Promise<EventLog> {
  if (spec.kind === 'sqlite') return SqliteEventLog.open(data)
  const { openFdbEventLog } = await import('../fdb/index.js')
  return openFdbEventLog({ ...(spec.clusterFile ? { clusterFile: spec.clusterFile } : {}), logger })
}
