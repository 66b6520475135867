/**
 * Snapshots behind pointers. A snapshot's state is chunked under
 * `(P, 4, room, vs, snapId, part)`; it exists for readers only once the small
 * pointer `(P, 5, room, vs) -> snapId, part count` names it. A pointer is
 * written once and never replaced, so a snapshot is never overwritten in
 * place: a second snapshot at the same cursor is dropped, and pruning removes
 * whole old snapshots (pointer and chunks together) in the transaction that
 * publishes a newer one.
 *
 * A state too large for one transaction is staged first (its chunks are
 * invisible without a pointer), then published by one small transaction. A
 * reader that loads chunks across transactions and finds them gone (pruned
 * meanwhile) starts over from the pointers.
 */
import { randomBytes } from 'node:crypto'
import { type Cursor, type Snapshot, START } from '../log/event-log.js'
import { runTn, type FdbDatabase, type TnPolicy } from './binding.js'
import { FdbCorruptError, joinValue, splitValue } from './chunking.js'
import { cursorFromHead, cursorFromVersionstamp, versionstampFromCursor } from './cursor.js'
import type { FdbKeys } from './keys.js'
import { pairBytes, readAllPaged, writeBatched } from './pages.js'

const SNAP_ID_BYTES = 16
const LOAD_ATTEMPTS = 3

export interface SnapshotOptions {
  policy: TnPolicy
  maxTxnBytes: number
  maxValueBytes: number
  /** Snapshots kept per room; older ones are removed when a newer one is published. */
  keep: number
}

function encodePointer(snapId: Buffer, parts: number): Buffer {
  const out = Buffer.alloc(SNAP_ID_BYTES + 4)
  snapId.copy(out, 0)
  out.writeUInt32BE(parts, SNAP_ID_BYTES)
  return out
}

function decodePointer(value: Buffer): { snapId: Buffer; parts: number } {
  if (value.length !== SNAP_ID_BYTES + 4) throw new FdbCorruptError(`corrupt snapshot pointer of ${value.length} bytes`)
  return { snapId: Buffer.from(value.subarray(0, SNAP_ID_BYTES)), parts: value.readUInt32BE(SNAP_ID_BYTES) }
}

export class SnapshotStore {
  constructor(
    private readonly db: FdbDatabase,
    private readonly keys: FdbKeys,
    private readonly opts: SnapshotOptions,
  ) {}

  async put(s: Snapshot): Promise<void> {
    const vs = versionstampFromCursor(s.cursor)
    const snapId = randomBytes(SNAP_ID_BYTES)
    const chunks = splitValue(s.state, this.opts.maxValueBytes).map((part, i): [Buffer, Buffer] => [this.keys.snapshotChunk(s.room, vs, snapId, i), part])
    const inline = chunks.reduce((n, [k, v]) => n + pairBytes(k, v), 0) <= this.opts.maxTxnBytes
    if (!inline) await writeBatched(this.db, this.opts.policy, chunks, this.opts.maxTxnBytes)
    const pointerKey = this.keys.snapshotPointer(s.room, vs)
    const all = this.keys.snapshotPointerRange(s.room, null)
    // Rerunnable as a whole: it decides from what it reads, and the pointer read conflicts with a concurrent publisher.
    await runTn(this.db, 'snapshot publish', this.opts.policy, async (tn) => {
      const [existing, head, pointers] = await Promise.all([
        tn.get(pointerKey),
        tn.snapshot().get(this.keys.globalHead),
        tn.getRangeAll(all.begin, all.end),
      ])
      const headCursor = cursorFromHead(head)
      if (s.cursor > headCursor) throw new RangeError(`snapshot cursor ${s.cursor} is past the log head ${headCursor || "''"}`)
      const older = pointers.map(([k]) => this.keys.parseSnapshotPointer(k).vs).filter((v) => !v.equals(vs))
      const kept = [...older, vs].sort(Buffer.compare).slice(-this.opts.keep)
      if (existing || !kept.some((v) => v.equals(vs))) {
        // Never replace a published snapshot; and one older than all kept ones would be pruned at once.
        if (!inline) this.clear(tn, this.keys.snapshotChunkRange(s.room, vs, snapId))
        return
      }
      if (inline) for (const [k, v] of chunks) tn.set(k, v)
      tn.set(pointerKey, encodePointer(snapId, chunks.length))
      for (const old of older) {
        if (kept.some((v) => v.equals(old))) continue
        tn.clear(this.keys.snapshotPointer(s.room, old))
        this.clear(tn, this.keys.snapshotChunkRange(s.room, old))
      }
    })
  }

  async get(room: string, atOrBefore?: Cursor): Promise<Snapshot | null> {
    if (atOrBefore === START) return null
    const range = this.keys.snapshotPointerRange(room, atOrBefore === undefined ? null : versionstampFromCursor(atOrBefore))
    for (let attempt = 1; ; attempt++) {
      const [pointer] = await runTn(this.db, 'snapshot pointer', this.opts.policy, (tn) =>
        tn.snapshot().getRangeAll(range.begin, range.end, { limit: 1, reverse: true }),
      )
      if (!pointer) return null
      const { vs } = this.keys.parseSnapshotPointer(pointer[0])
      const { snapId, parts } = decodePointer(pointer[1])
      const chunks = await readAllPaged(this.db, this.opts.policy, this.keys.snapshotChunkRange(room, vs, snapId), 64)
      if (chunks.length === parts) {
        return { room, cursor: cursorFromVersionstamp(vs), state: new Uint8Array(joinValue(chunks.map(([, v]) => v))) }
      }
      if (attempt >= LOAD_ATTEMPTS) {
        throw new FdbCorruptError(`snapshot ${cursorFromVersionstamp(vs)} of room ${room}: pointer names ${parts} chunks, found ${chunks.length}`)
      }
    }
  }

  private clear(tn: { clearRange(begin: Buffer, end: Buffer): void }, r: { begin: Buffer; end: Buffer }): void {
    tn.clearRange(r.begin, r.end)
  }
}
