/**
 * Where an export's bytes go: a file (the CLI) or an HTTP response. Writers
 * await `write`, so a slow reader slows the export instead of growing memory
 * (`[H2]`); a sink whose reader went away refuses further writes, which ends
 * the export.
 */
import fs from 'node:fs'
import type { Writable } from 'node:stream'

export interface ByteSink {
  /** Takes the bytes (the caller may reuse its buffer once this returns or resolves). */
  write(bytes: Uint8Array): void | Promise<void>
}

export class SinkClosedError extends Error {
  readonly code = 'sink_closed'
  constructor() {
    super('the reader went away before the export finished')
  }
}

/** Synchronous writes to an open file descriptor. */
export function fdSink(fd: number): ByteSink {
  return {
    write(bytes) {
      let off = 0
      while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off)
    },
  }
}

/** A Node writable (an HTTP response): waits for 'drain' when its buffer is full, fails once it closed. */
export function streamSink(w: Writable): ByteSink {
  return {
    write(bytes) {
      if (w.destroyed || w.writableEnded) throw new SinkClosedError()
      // Copy: the stream keeps the chunk until the kernel took it, and callers reuse buffers.
      if (w.write(Buffer.from(bytes))) return
      return new Promise<void>((resolve, reject) => {
        const done = (e?: Error) => {
          w.off('drain', onDrain)
          w.off('close', onClose)
          w.off('error', onClose)
          if (e) reject(e)
          else resolve()
        }
        const onDrain = () => done()
        const onClose = () => done(new SinkClosedError())
        w.on('drain', onDrain)
        w.on('close', onClose)
        w.on('error', onClose)
      })
    },
  }
}

/** Collects everything in memory (tests, small exports). */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = []
  return {
    write(bytes) {
      parts.push(bytes.slice())
    },
    bytes: () => Buffer.concat(parts),
  }
}
