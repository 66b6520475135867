/**
 * Hearing other processes' appends. One loop per log, only while someone
 * subscribes: read the global head and set a watch on it in one transaction
 * (`getAndWatch`), read the feed index past what was already seen, then wait
 * for the watch, raced against a poll timer. The timer is not optional: a
 * watch can miss a change (it reports only that a key changed, ABA and
 * all), resolve `false` when FoundationDB drops it, or hang. One watch per
 * process, on the global head rather than one per room, keeps well inside
 * FoundationDB's watch budget (10,000 per connection by default).
 */
import type { Cursor } from '../log/event-log.js'
import { fdbErrorCode, type FdbDatabase, type FdbLogger, type FdbWatch } from './binding.js'
import { cursorFromHead, cursorFromVersionstamp } from './cursor.js'
import type { FdbKeys } from './keys.js'
import type { LogReader } from './reader.js'

const FEED_PAGE = 1000

export interface TailOptions {
  pollMs: number
  logger?: FdbLogger
}

export class FeedTail {
  /** The running loop; a stopped loop winds down on its own while a new one may already run (listeners hear each cursor once either way). */
  private current: { stop: () => void; done: Promise<void> } | null = null

  constructor(
    private readonly db: FdbDatabase,
    private readonly keys: FdbKeys,
    private readonly reader: LogReader,
    private readonly opts: TailOptions,
    private readonly emit: (room: string, cursor: Cursor) => void,
  ) {}

  get running(): boolean {
    return this.current !== null
  }

  start(): void {
    if (this.current) return
    let stop!: () => void
    const stopped = new Promise<'stop'>((resolve) => (stop = () => resolve('stop')))
    this.current = { stop, done: this.run(stopped) }
  }

  async stop(): Promise<void> {
    const current = this.current
    this.current = null
    if (!current) return
    current.stop()
    await current.done
  }

  private async run(stopped: Promise<'stop'>): Promise<void> {
    let seen: Cursor | null = null
    let live = true
    void stopped.then(() => (live = false))
    while (live) {
      let watch: (FdbWatch & { value: Buffer | undefined | null }) | null = null
      try {
        watch = await this.db.getAndWatch(this.keys.globalHead)
        const head = cursorFromHead(watch.value)
        // Entries before the first head read are history, not news.
        if (seen === null) seen = head
        else if (head > seen) seen = await this.catchUp(seen, () => live)
      } catch (e) {
        this.opts.logger?.warn('FoundationDB feed tail: read failed; polling', { error: (e as Error).message, code: fdbErrorCode(e) })
        watch?.cancel()
        watch = null
      }
      if (!live) {
        watch?.cancel()
        break
      }
      await this.wait(watch, stopped)
    }
  }

  private async catchUp(after: Cursor, live: () => boolean): Promise<Cursor> {
    let cursor = after
    while (live()) {
      const refs = await this.reader.feedRefs(cursor, FEED_PAGE)
      const heads = new Map<string, Cursor>()
      for (const { room, vs } of refs) heads.set(room, (cursor = cursorFromVersionstamp(vs)))
      for (const [room, c] of heads) this.emit(room, c)
      if (refs.length < FEED_PAGE) break
    }
    return cursor
  }

  private async wait(watch: FdbWatch | null, stopped: Promise<'stop'>): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const poll = new Promise<'poll'>((resolve) => (timer = setTimeout(() => resolve('poll'), this.opts.pollMs)))
    try {
      const fired = watch ? watch.promise.then((changed) => (changed ? 'changed' : 'dropped'), () => 'dropped' as const) : poll
      const why = await Promise.race([fired, poll, stopped])
      // A dropped watch resolves at once; waiting out the timer keeps that from becoming a busy loop.
      if (why === 'dropped') await Promise.race([poll, stopped])
    } finally {
      clearTimeout(timer)
      watch?.cancel()
    }
  }
}
