/**
 * A real event log with faults injected at its seam: each call can be made to
 * wait on a gate or to fail, to see what the server and the projector do when
 * the store is slow or errs. Everything else goes to the real log underneath.
 */
import type { AppendInput, Cursor, EventLog, LogEntry, LogListener, ReadOptions, Snapshot } from '../../src/log/event-log.js'

type Hook<A extends unknown[]> = ((...args: A) => Promise<void> | void) | null

export class FaultLog implements EventLog {
  beforeAppend: Hook<[string, readonly AppendInput[]]> = null
  beforeReadRoom: Hook<[string, Cursor]> = null
  beforeReadFeed: Hook<[Cursor]> = null
  beforeGetSnapshot: Hook<[string]> = null
  readRoomCalls = 0

  constructor(readonly inner: EventLog) {}

  async append(room: string, inputs: readonly AppendInput[]): Promise<Cursor[]> {
    await this.beforeAppend?.(room, inputs)
    return this.inner.append(room, inputs)
  }
  async readRoom(room: string, after: Cursor, opts?: ReadOptions): Promise<LogEntry[]> {
    this.readRoomCalls++
    await this.beforeReadRoom?.(room, after)
    return this.inner.readRoom(room, after, opts)
  }
  async readFeed(after: Cursor, opts?: ReadOptions): Promise<LogEntry[]> {
    await this.beforeReadFeed?.(after)
    return this.inner.readFeed(after, opts)
  }
  head(room?: string): Promise<Cursor> {
    return this.inner.head(room)
  }
  subscribe(listener: LogListener): () => void {
    return this.inner.subscribe(listener)
  }
  putSnapshot(s: Snapshot): Promise<void> {
    return this.inner.putSnapshot(s)
  }
  async getSnapshot(room: string, atOrBefore?: Cursor): Promise<Snapshot | null> {
    await this.beforeGetSnapshot?.(room)
    return this.inner.getSnapshot(room, atOrBefore)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}

/** A gate: `wait()` resolves once `open()` is called. */
export function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void
  const p = new Promise<void>((r) => (open = r))
  return { wait: () => p, open }
}

/** Fails the first `n` calls with `message`, then lets calls through. */
export function failTimes(n: number, message: string): () => void {
  let left = n
  return () => {
    if (left > 0) {
      left--
      throw new Error(message)
    }
  }
}
