/**
 * The EventLog contract against a real FoundationDB cluster. Loaded by
 * fdb-real.contract.test.ts only when FDB_CLUSTER_FILE is set (the name does
 * not match the test glob, so it never runs on its own). Every fixture gets a
 * fresh random prefix and clears it afterwards.
 */
import { randomBytes } from 'node:crypto'
import { runEventLogContract } from '../../src/log/event-log-contract.js'
import { FdbKeys } from '../../src/fdb/keys.js'
import { FDB_API_VERSION, openFdbEventLog } from '../../src/fdb/open.js'
import type { FdbDatabase } from '../../src/fdb/binding.js'

const clusterFile = process.env.FDB_CLUSTER_FILE!
const run = `scenesync-test-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
let fixtures = 0

async function clearPrefix(prefix: string): Promise<void> {
  // Test-only direct use of the binding, to remove what the log wrote.
  const specifier: string = 'foundationdb'
  const mod = (await import(specifier)) as { default?: unknown }
  const fdb = (mod.default ?? mod) as { setAPIVersion(v: number): void; open(file?: string): FdbDatabase }
  fdb.setAPIVersion(FDB_API_VERSION)
  const db = fdb.open(clusterFile)
  const { begin, end } = new FdbKeys(prefix).all()
  await db.doTn(async (tn) => tn.clearRange(begin, end))
  db.close?.()
}

runEventLogContract(`FoundationDB cluster (${clusterFile})`, async () => {
  const prefix = `${run}-${fixtures++}`
  const open = () => openFdbEventLog({ clusterFile, prefix, pollMs: 100 })
  let log = await open()
  return {
    log,
    reopen: async () => {
      await log.close()
      log = await open()
      return log
    },
    cleanup: async () => {
      await log.close()
      await clearPrefix(prefix)
    },
  }
})
