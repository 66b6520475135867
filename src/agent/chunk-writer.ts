/**
 * Writes geometry chunks into the doc at the pace the server takes them.
 *
 * Each chunk is its own transaction, hence its own update and message. At most
 * WINDOW bytes of chunks are written ahead of the server's acknowledgement
 * (its echo of our updates, `[S1]`), for two reasons:
 *
 * - a connection that drops mid-upload reconnects with a sync reply holding
 *   only what the server lacks: at most the window, below the server's message
 *   limit. Without it, a 100 MB upload cut short would be resent as one 50 MB
 *   message, refused, and resent forever;
 * - the agent yields between chunks, so it keeps answering pings and reading
 *   while it uploads a million-vertex mesh.
 *
 * Offline, nothing is written; the queue resumes when the connection is back.
 */
import type * as Y from 'yjs'
import { chunkCount, chunkKey, CHUNK_BYTES } from '../crdt/index.js'

/** Below the server's default 16 MiB message limit, with room for other edits in a sync reply. */
export const WINDOW_BYTES = 12 << 20

interface Job {
  hash: string
  bytes: Uint8Array
  next: number
  done: () => void
}

export class ChunkWriter {
  private readonly queue: Job[] = []
  /** Chunk updates written and not yet echoed by the server, by their signature, with their size. */
  private inFlight = new Map<string, number>()
  private inFlightBytes = 0
  private scheduled = false
  private written: Uint8Array | null = null

  constructor(
    private readonly doc: Y.Doc,
    private readonly blobs: Y.Map<unknown>,
    private readonly origin: unknown,
    private readonly online: () => boolean,
    private readonly window = WINDOW_BYTES,
  ) {
    doc.on('update', (u: Uint8Array, o: unknown) => {
      if (o === this.origin && this.written === null) this.written = u
    })
  }

  /** Resolves once every chunk of the value is in the doc (sent, maybe not yet acknowledged). */
  write(hash: string, bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ hash, bytes, next: 0, done: resolve })
      this.pump()
    })
  }

  get pending(): number {
    return this.queue.length
  }

  /**
   * An update the server sent us: if it is the echo of a chunk we wrote (the
   * server echoes our updates byte for byte once they are in the log, `[S1]`),
   * that chunk is acknowledged. Told by its signature, not by parsing a megabyte.
   */
  echoed(update: Uint8Array): void {
    if (this.inFlight.size === 0) return
    const sig = signature(update)
    const size = this.inFlight.get(sig)
    if (size === undefined) return
    this.inFlight.delete(sig)
    this.inFlightBytes -= size
    this.pump()
  }

  /** The connection was (re)established: what was in flight is now in the server's sync, or lost with it. */
  reset(): void {
    this.inFlight.clear()
    this.inFlightBytes = 0
    this.pump()
  }

  private pump(): void {
    if (this.scheduled) return
    this.scheduled = true
    // A macrotask per chunk: pings, pongs and incoming messages run in between.
    setImmediate(() => {
      this.scheduled = false
      this.step()
    })
  }

  private step(): void {
    const job = this.queue[0]
    if (!job || !this.online() || this.inFlightBytes >= this.window) return
    const n = chunkCount(job.bytes.length)
    while (job.next < n && this.blobs.get(chunkKey(job.hash, job.next)) instanceof Uint8Array) job.next++
    if (job.next < n) {
      const i = job.next++
      // A copy: Yjs keeps the array it is given.
      const part = job.bytes.slice(i * CHUNK_BYTES, Math.min(job.bytes.length, (i + 1) * CHUNK_BYTES))
      this.written = null
      this.doc.transact(() => this.blobs.set(chunkKey(job.hash, i), part), this.origin)
      if (this.written) {
        this.inFlight.set(signature(this.written), part.length)
        this.inFlightBytes += part.length
      }
      this.written = null
    }
    if (job.next >= n) {
      this.queue.shift()
      job.done()
    }
    if (this.queue.length > 0) this.pump()
  }
}

/**
 * Length and leading bytes of an update: its client, clock and map key come
 * first, so no two chunk updates share them.
 */
export function signature(update: Uint8Array): string {
  return `${update.length}:${Buffer.from(update.buffer, update.byteOffset, Math.min(update.length, 160)).toString('latin1')}`
}
