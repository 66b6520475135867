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
