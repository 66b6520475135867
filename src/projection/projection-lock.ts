/**
 * One process owns a projection file: the server that projects into it, or a
 * rebuild that replaces it. The event log's own lock does not cover this when
 * the log is a shared store (FoundationDB), so the projection has a lock of
 * its own beside it (`projection.sqlite.lock`), dropped when its process ends.
 */
import { ProcessLock } from '../log/process-lock.js'

export class ProjectionLockedError extends Error {
  readonly code = 'projection_locked'
}

export function lockProjection(file: string): ProcessLock {
  return ProcessLock.acquire(
    `${file}.lock`,
    `${file}.owner.json`,
    (holder) => new ProjectionLockedError(`the projection ${file} is in use by ${holder}: one scenesync server or rebuild owns it; stop it first`),
  )
}
