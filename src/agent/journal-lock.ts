/**
 * Which journal file an agent may use, and the lock that keeps it its own.
 *
 * A journal is named after the server URL and room, then the id of the
 * Blender scene (kept in the .blend): `<room key>-<file key>.journal`. Two
 * Blenders can open the same file and room on one machine: the first agent
 * holds the journal's lock (a file holding its pid); the next takes a journal
 * of its own (`<key>.1.journal`, `<key>.2.journal`, ...) and is told why. A
 * lock whose pid is no longer running (a crash) is taken over.
 *
 * An agent that starts absorbs every other journal of its server and room that
 * no live agent holds, whatever file it belonged to: a Blender that crashed
 * before its file was saved comes back with a scene of another id, and the
 * edits it journaled must not be stranded. They are edits of the room, so
 * sending them is right; per-channel edit times keep old ones from
 * overwriting newer ones (src/crdt/xform-merge.ts).
 */
import fs from 'node:fs'
import path from 'node:path'

const MAX_SLOTS = 64

export interface JournalSlot {
  file: string
  slot: number
  /** The pid holding the first journal of the key, when this agent had to take another. */
  sharedWith: number | null
  release(): void
}

export function journalFile(dir: string, key: string, slot: number): string {
  return path.join(dir, slot === 0 ? `${key}.journal` : `${key}.${slot}.journal`)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The pid in a lock file; NaN when it cannot be read (removed meanwhile, or being written). */
function holder(lock: string): number {
  try {
    return Number.parseInt(fs.readFileSync(lock, 'utf8'), 10)
  } catch {
    return Number.NaN
  }
}

function create(lock: string, pid: number): boolean {
  try {
    const fd = fs.openSync(lock, 'wx')
    fs.writeSync(fd, String(pid))
    fs.closeSync(fd)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
}

/** Takes the lock of `file` for `pid`; false while a live process holds it. */
export function tryLock(file: string, pid = process.pid): boolean {
  const lock = `${file}.lock`
  if (create(lock, pid)) return true
  const h = holder(lock)
  // An unreadable lock may be one being written this instant: leave it alone.
  if (Number.isNaN(h) || (h !== pid && alive(h))) return false
  fs.rmSync(lock, { force: true })
  return create(lock, pid) && holder(lock) === pid
}

export function unlock(file: string): void {
  fs.rmSync(`${file}.lock`, { force: true })
}

/** The first journal of `key` whose lock this agent gets. */
export function acquireJournal(dir: string, key: string, pid = process.pid): JournalSlot {
  fs.mkdirSync(dir, { recursive: true })
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const file = journalFile(dir, key, slot)
    if (!tryLock(file, pid)) continue
    const first = holder(`${journalFile(dir, key, 0)}.lock`)
    return { file, slot, sharedWith: slot > 0 && !Number.isNaN(first) ? first : null, release: () => unlock(file) }
  }
  throw new Error(`every one of the ${MAX_SLOTS} journals for this file and room in ${dir} is in use by a running agent`)
}

/**
 * Journals of the room (names starting with `roomKey`: any file's, and the
 * `<roomKey>.journal` of before journals were per file) that no live agent
 * holds, other than `own`: locked for the caller, who reads them, then calls
 * `done` to delete them once their content is safe in its own journal.
 */
export function orphanJournals(dir: string, roomKey: string, own: string, pid = process.pid): Array<{ file: string; done: () => void }> {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return []
  }
  const out: Array<{ file: string; done: () => void }> = []
  for (const name of names.sort()) {
    if (!name.endsWith('.journal')) continue
    if (!new RegExp(`^${roomKey}(-[0-9a-f]+)?(\\.\\d+)?\\.journal$`).test(name)) continue
    const file = path.join(dir, name)
    if (file === own || !tryLock(file, pid)) continue
    out.push({
      file,
      done: () => {
        fs.rmSync(file, { force: true })
        unlock(file)
      },
    })
  }
  return out
}
