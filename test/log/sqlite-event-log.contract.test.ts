import { runEventLogContract } from '../../src/log/event-log-contract.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import type { EventLog } from '../../src/log/event-log.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

runEventLogContract('embedded SQLite', async () => {
  const dir = tmpDir()
  let log: EventLog = SqliteEventLog.open(dir)
  return {
    log,
    reopen: async () => {
      await log.close()
      log = SqliteEventLog.open(dir)
      return log
    },
    cleanup: async () => {
      await log.close()
      rmTmp(dir)
    },
  }
})
