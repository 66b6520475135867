/**
 * The FoundationDB event log. Importing this module does not load the
 * `foundationdb` binding; `openFdbEventLog` does, when called.
 */
export { FdbEventLog, type FdbEventLogOptions } from './fdb-event-log.js'
export { openFdbEventLog, FdbUnavailableError, FDB_API_VERSION, type OpenFdbOptions } from './open.js'
export type { FdbDatabase, FdbTransaction, FdbReadTransaction, FdbWatch, FdbLogger, FdbTransactionOptions } from './binding.js'
export { FdbCode } from './binding.js'
export { FdbCommitError, MAX_UPDATES_PER_APPEND } from './appender.js'
export { FdbCorruptError } from './chunking.js'
export { InvalidCursorError } from './cursor.js'
export { FdbKeys, Tag } from './keys.js'
