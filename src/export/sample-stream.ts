/**
 * The samples of one export: the resolved range, the page iterator, progress
 * and cancellation. Between pages it yields to the event loop, so an export
 * served over HTTP shares the server's thread instead of holding it.
 */
import type { SampleRow } from '../projection/sample-pages.js'
import { workerSamplePages } from '../projection/sample-worker.js'
import type { TimeTravel } from '../projection/time-travel.js'

export interface StreamOptions {
  /** Called after each page with samples done and the total. */
  onProgress?: (done: number, total: number) => void
  /** Ends the export (with the signal's reason) at the next page. */
  signal?: AbortSignal
  pageSize?: number
  /**
   * Read on a worker thread with its own connection: true, false, or (by
   * default) when the projection is a file and the range holds enough samples
   * to pay for starting a thread.
   */
  worker?: boolean
}

/** Below this many samples a worker thread costs more to start than it saves. */
const WORKER_FROM_SAMPLES = 20_000

export class SampleStream {
  readonly total: number
  private done = 0

  constructor(
    readonly tt: TimeTravel,
    readonly room: string,
    /** Positions [from, to], inclusive. */
    readonly from: number,
    readonly to: number,
    private readonly opts: StreamOptions = {},
  ) {
    this.total = tt.countSamples(room, { seq: from }, { seq: to })
  }

  /** The samples a page at a time (read ahead on a worker thread when the projection is a file). */
  pages(): AsyncIterable<SampleRow[]> | Iterable<SampleRow[]> {
    const db = this.tt.db as unknown as { name?: string; memory?: boolean }
    const file = db.memory === false && typeof db.name === 'string' ? db.name : null
    if (file !== null && (this.opts.worker ?? this.total >= WORKER_FROM_SAMPLES)) {
      return workerSamplePages({ file, roomId: this.tt.requireRoom(this.room), from: this.from, to: this.to, pageSize: this.opts.pageSize ?? 4096 })
    }
    return this.tt.samplePages(this.room, { seq: this.from }, { seq: this.to }, this.opts.pageSize)
  }

  /** Counts `n` samples as done, reports progress, and gives the event loop a turn. */
  async advance(n: number): Promise<void> {
    this.done += n
    this.opts.onProgress?.(this.done, this.total)
    await new Promise<void>((resolve) => setImmediate(resolve))
    this.opts.signal?.throwIfAborted()
  }
}
