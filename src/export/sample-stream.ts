/**
 * The samples of one export: the resolved range, the page iterator, progress
 * and cancellation. Between pages it yields to the event loop, so an export
 * served over HTTP shares the server's thread instead of holding it.
 */
import type { SampleRow } from '../projection/sample-pages.js'
import type { TimeTravel } from '../projection/time-travel.js'

export interface StreamOptions {
  /** Called after each page with samples done and the total. */
  onProgress?: (done: number, total: number) => void
  /** Ends the export (with the signal's reason) at the next page. */
  signal?: AbortSignal
  pageSize?: number
}

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

  pages(): Generator<SampleRow[]> {
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
