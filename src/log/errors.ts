/** Typed errors at the log's edge; `code` is stable for callers to branch on. */

export class InvalidUpdateError extends Error {
  readonly code = 'invalid_update'
  constructor(
    readonly index: number,
    readonly reason: string,
  ) {
    super(`update ${index} of the batch is not a valid Yjs update: ${reason}`)
  }
}

export class LogLockedError extends Error {
  readonly code = 'log_locked'
}

export class LogClosedError extends Error {
  readonly code = 'log_closed'
  constructor() {
    super('the event log is closed')
  }
}

/** The store's disk (or its configured size cap) is full: nothing of the batch was stored. */
export class LogFullError extends Error {
  readonly code = 'log_full'
  constructor(detail: string) {
    super(`disk full: the event log could not store the update (${detail})`)
  }
}

/** A data file that is damaged or not what it should be; `check` names the test that failed. */
export class CorruptFileError extends Error {
  readonly code = 'corrupt'
  constructor(
    readonly file: string,
    readonly check: string,
    readonly detail: string,
    /** What to do about it, appended to the message. */
    hint?: string,
  ) {
    super(`${file} is damaged: ${check} failed: ${detail}${hint ? `; ${hint}` : ''}`)
  }
}

/** SQLite's error codes for a file that is not a database or is malformed. */
export function isCorruptionCode(code: unknown): boolean {
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT_'))
}
