/**
 * Reading the log: a room's entries, the global feed, heads. Every read is a
 * snapshot read (a reader never makes a writer retry) done in pages, each
 * page its own short transaction (see pages.ts for why that is safe).
 */
import type { Cursor, LogEntry } from '../log/event-log.js'
import { runTn, type FdbDatabase, type TnPolicy } from './binding.js'
import { FdbCorruptError, joinValue, readChunkHeader } from './chunking.js'
import { cursorFromHead, cursorFromVersionstamp, versionstampAfter } from './cursor.js'
import { decodeEntry, type EntryRecord } from './entry-codec.js'
import { keyAfter, type FdbKeys } from './keys.js'
import { readAllPaged } from './pages.js'

export const DEFAULT_READ_LIMIT = 1000
/** A page stops early past this many bytes of values (it returns at least one entry). */
const PAGE_BYTES = 8 << 20
const FEED_GROUP = 100

export interface FeedRef {
  room: string
  vs: Buffer
}

export class LogReader {
  constructor(
    private readonly db: FdbDatabase,
    private readonly keys: FdbKeys,
    private readonly policy: TnPolicy,
  ) {}

  async head(room?: string): Promise<Cursor> {
    const key = room === undefined ? this.keys.globalHead : this.keys.roomHead(room)
    const value = await runTn(this.db, 'head', this.policy, (tn) => tn.snapshot().get(key))
    return cursorFromHead(value)
  }

  async readRoom(room: string, after: Cursor, limit = DEFAULT_READ_LIMIT): Promise<LogEntry[]> {
    const range = this.keys.roomLogRange(room, versionstampAfter(after))
    const out: LogEntry[] = []
    let bytes = 0
    let group: { vs: Buffer; parts: Buffer[]; count: number } | null = null
    let begin = range.begin
    const pageKeys = Math.min(Math.max(limit + 8, 16), 1000)
    while (out.length < limit && bytes < PAGE_BYTES) {
      const from = begin
      const page = await runTn(this.db, 'room read', this.policy, (tn) => tn.snapshot().getRangeAll(from, range.end, { limit: pageKeys }))
      for (const [key, value] of page) {
        const { vs, part } = this.keys.parseRoomEntry(key)
        if (!group || !group.vs.equals(vs)) {
          if (group) throw new FdbCorruptError(`corrupt log: entry ${cursorFromVersionstamp(group.vs)} of room ${room} has ${group.parts.length} of ${group.count} parts`)
          if (part !== 0) throw new FdbCorruptError(`corrupt log: entry ${cursorFromVersionstamp(vs)} of room ${room} has no part 0`)
          group = { vs, parts: [], count: readChunkHeader(value).count }
        }
        group.parts.push(value)
        bytes += value.length
        if (group.parts.length === group.count) {
          out.push(await this.entry(room, group.vs, group.parts))
          group = null
          if (out.length >= limit || bytes >= PAGE_BYTES) break
        }
      }
      if (page.length < pageKeys) {
        if (group) throw new FdbCorruptError(`corrupt log: entry ${cursorFromVersionstamp(group.vs)} of room ${room} has ${group.parts.length} of ${group.count} parts`)
        break
      }
      begin = keyAfter(page[page.length - 1]![0])
    }
    return out
  }

  /** Rooms and versionstamps of the feed after `after`, without the entries. */
  async feedRefs(after: Cursor, limit: number): Promise<FeedRef[]> {
    const range = this.keys.feedRange(versionstampAfter(after))
    const page = await runTn(this.db, 'feed read', this.policy, (tn) => tn.snapshot().getRangeAll(range.begin, range.end, { limit }))
    return page.map(([key, value]) => ({ vs: this.keys.parseFeed(key), room: value.toString('utf8') }))
  }

  async readFeed(after: Cursor, limit = DEFAULT_READ_LIMIT): Promise<LogEntry[]> {
    const refs = await this.feedRefs(after, limit)
    const out: LogEntry[] = []
    let bytes = 0
    // Entries are fetched a group per transaction, so a page of large entries stays a set of small transactions.
    for (let i = 0; i < refs.length && bytes < PAGE_BYTES; i += FEED_GROUP) {
      const group = refs.slice(i, i + FEED_GROUP)
      const parts = await runTn(this.db, 'feed entries', this.policy, (tn) => {
        const snap = tn.snapshot()
        return Promise.all(group.map(({ room, vs }) => {
          const r = this.keys.roomEntryRange(room, vs)
          return snap.getRangeAll(r.begin, r.end)
        }))
      })
      for (let j = 0; j < group.length; j++) {
        const { room, vs } = group[j]!
        const values = parts[j]!.map(([, v]) => v)
        if (values.length === 0) throw new FdbCorruptError(`corrupt log: feed entry ${cursorFromVersionstamp(vs)} names room ${room}, which has no such entry`)
        out.push(await this.entry(room, vs, values))
        bytes += values.reduce((n, v) => n + v.length, 0)
      }
    }
    return out
  }

  private async entry(room: string, vs: Buffer, parts: Buffer[]): Promise<LogEntry> {
    const record: EntryRecord = decodeEntry(joinValue(parts))
    const update = record.staged ? await this.staged(record.staged.stageId, record.staged.index) : record.update
    return { room, cursor: cursorFromVersionstamp(vs), time: record.time, origin: record.origin, update }
  }

  /** A staged update: published, so immutable, so readable across transactions. */
  private async staged(stageId: Buffer, index: number): Promise<Uint8Array> {
    const pairs = await readAllPaged(this.db, this.policy, this.keys.stageRange(stageId, index), 64)
    return new Uint8Array(joinValue(pairs.map(([, v]) => v)))
  }
}
