/**
 * The agent's local journal: every local update is appended (length-prefixed)
 * to a file before it is sent, so edits made offline survive a restart of
 * Blender or of the agent and merge on reconnect (`[B3]`). The file also keeps
 * what the agent has seen from the server, so a restart starts from it; it is
 * compacted to one state update when it grows.
 */
import fs from 'node:fs'
import path from 'node:path'
import * as Y from 'yjs'

const COMPACT_AT_BYTES = 4 << 20

export class Journal {
  private fd: number
  private size: number
  /** Size right after the last compaction: a doc holding geometry is itself megabytes. */
  private compacted = 0
  /** Records since then: one record (a join's whole sync reply) is compact already. */
  private records = 0

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    this.fd = fs.openSync(file, 'a')
    this.size = fs.fstatSync(this.fd).size
  }

  /** Every complete update in the file; a torn last record (a crash mid-write) is ignored. */
  static read(file: string): Uint8Array[] {
    if (!fs.existsSync(file)) return []
    const buf = fs.readFileSync(file)
    const out: Uint8Array[] = []
    let pos = 0
    while (pos + 4 <= buf.length) {
      const len = buf.readUInt32LE(pos)
      if (pos + 4 + len > buf.length) break
      out.push(new Uint8Array(buf.subarray(pos + 4, pos + 4 + len)))
      pos += 4 + len
    }
    return out
  }

  append(update: Uint8Array): void {
    const rec = Buffer.allocUnsafe(4 + update.length)
    rec.writeUInt32LE(update.length, 0)
    rec.set(update, 4)
    fs.writeSync(this.fd, rec)
    this.size += rec.length
    // The first record of a new journal is as compact as it gets: the baseline to double.
    if (this.records++ === 0 && this.compacted === 0) this.compacted = this.size
  }

  /** Flushes to disk: the journal survives power loss, not just a killed process. */
  sync(): void {
    fs.fsyncSync(this.fd)
  }

  needsCompaction(): boolean {
    // Relative to the compacted size too, or a doc larger than the threshold would compact on every update.
    return this.records > 1 && this.size > Math.max(COMPACT_AT_BYTES, 2 * this.compacted)
  }

  /** Replaces the file with one update holding the whole doc (atomic rename). */
  compact(doc: Y.Doc): void {
    const state = Y.encodeStateAsUpdate(doc)
    const tmp = `${this.file}.tmp`
    const rec = Buffer.allocUnsafe(4 + state.length)
    rec.writeUInt32LE(state.length, 0)
    rec.set(state, 4)
    fs.writeFileSync(tmp, rec)
    const fd = fs.openSync(tmp, 'r+')
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fs.closeSync(this.fd)
    fs.renameSync(tmp, this.file)
    // The rename is durable only once the folder is synced; else a power loss can bring back the old file.
    const dir = fs.openSync(path.dirname(this.file), 'r')
    fs.fsyncSync(dir)
    fs.closeSync(dir)
    this.fd = fs.openSync(this.file, 'a')
    this.size = rec.length
    this.compacted = rec.length
    this.records = 1
  }

  close(): void {
    fs.closeSync(this.fd)
  }
}
