/**
 * The folder where geometry values are handed between the add-on and the
 * agent: one file per value, named by its SHA-256 (`<hash>.sgeo`), so a value
 * already there is never written again. Tens of megabytes go through the page
 * cache this way instead of through JSON lines. The add-on's files are adopted
 * (moved in) once read; old files are pruned when the agent starts.
 */
import fs from 'node:fs'
import path from 'node:path'
import { geometryHash } from '../crdt/index.js'

const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000

export class GeometryFileError extends Error {
  readonly code = 'geometry_file'
}

export class GeometryCache {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true })
  }

  pathOf(hash: string): string {
    return path.join(this.dir, `${hash}.sgeo`)
  }

  has(hash: string): boolean {
    return fs.existsSync(this.pathOf(hash))
  }

  /** Writes the value (atomically) unless it is there; returns its path. */
  put(hash: string, bytes: Uint8Array): string {
    const p = this.pathOf(hash)
    if (fs.existsSync(p)) return p
    const tmp = `${p}.${process.pid}.tmp`
    fs.writeFileSync(tmp, bytes)
    fs.renameSync(tmp, p)
    return p
  }

  /** The cached value of `hash`, or null. Files here were checked on the way in. */
  get(hash: string): Uint8Array | null {
    try {
      return new Uint8Array(fs.readFileSync(this.pathOf(hash)))
    } catch {
      return null
    }
  }

  /**
   * Reads a file the add-on wrote, checks that it hashes to `hash`, and moves it
   * into the cache (its name is then its content).
   */
  adopt(file: string, hash: string): Uint8Array {
    // Two ops may name one value (two meshes alike, or lines queued before the first was read):
    // the first moved the file in, the later ones find it here.
    const cached = this.get(hash)
    if (cached) {
      if (path.resolve(file) !== this.pathOf(hash)) fs.rmSync(file, { force: true })
      return cached
    }
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(fs.readFileSync(file))
    } catch (e) {
      throw new GeometryFileError(`cannot read the geometry file ${file}: ${(e as Error).message}`)
    }
    const actual = geometryHash(bytes)
    if (actual !== hash) throw new GeometryFileError(`the geometry file ${file} hashes to ${actual.slice(0, 12)}…, not to ${hash.slice(0, 12)}…`)
    const target = this.pathOf(hash)
    if (path.resolve(file) !== target) {
      if (fs.existsSync(target)) fs.rmSync(file, { force: true })
      else {
        try {
          fs.renameSync(file, target)
        } catch {
          // Another filesystem: copy, then drop the add-on's file.
          this.put(hash, bytes)
          fs.rmSync(file, { force: true })
        }
      }
    }
    return bytes
  }

  /** Drops files untouched for a week (the log keeps every version anyway). */
  prune(now = Date.now()): number {
    let n = 0
    for (const name of fs.readdirSync(this.dir)) {
      const p = path.join(this.dir, name)
      try {
        const st = fs.statSync(p)
        if (now - Math.max(st.mtimeMs, st.atimeMs) > PRUNE_AFTER_MS) {
          fs.rmSync(p, { force: true })
          n++
        }
      } catch {
        // gone meanwhile
      }
    }
    return n
  }
}
