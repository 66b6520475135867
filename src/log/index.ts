export * from './event-log.js'
export * from './errors.js'
export { checkUpdate, firstClient } from './update-format.js'
export { SqliteEventLog, type SqliteEventLogOptions, seqToCursor, cursorToSeq, checkRoomName, LOG_FILE } from './sqlite-event-log.js'
