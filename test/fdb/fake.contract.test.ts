/**
 * The EventLog contract through the in-memory double of the binding: once on
 * a well-behaved double, once with seeded random faults (1020, 1021 committed
 * / not / late, 1007, 1031 committed / not) that the log must hide.
 */
import { expect, it } from 'vitest'
import { runEventLogContract } from '../../src/log/event-log-contract.js'
import { FdbEventLog, type FdbEventLogOptions } from '../../src/fdb/fdb-event-log.js'
import { seedFor } from '../helpers/prop.js'
import { FakeFdb } from './fake-fdb.js'

const randomFaults: number[] = []

function fixture(opts: FdbEventLogOptions, setup: (db: FakeFdb) => void = () => {}) {
  return async () => {
    const db = new FakeFdb()
    setup(db)
    let log = new FdbEventLog(db, opts)
    return {
      log,
      reopen: async () => {
        await log.close()
        log = new FdbEventLog(db, opts)
        return log
      },
      cleanup: async () => {
        await log.close()
        db.close()
        randomFaults.push(db.stats.randomFaults)
      },
    }
  }
}

runEventLogContract('FoundationDB (double of the binding)', fixture({ prefix: 'contract', pollMs: 50 }))

const seed = seedFor('fdb contract under random faults')
let run = 0
runEventLogContract(
  'FoundationDB (double of the binding, random faults)',
  fixture({ prefix: 'chaos', pollMs: 50, attempts: 6 }, (db) => db.setChaos({ seed: seed + run++, commitRate: 0.25, readRate: 0.05 })),
)

it('the random-fault run did inject faults (else it proved nothing)', () => {
  expect(randomFaults.reduce((a, b) => a + b, 0)).toBeGreaterThan(10)
})
