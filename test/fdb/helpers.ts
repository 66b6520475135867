/** Shared pieces of the FoundationDB log tests that run through the double. */
import * as Y from 'yjs'
import { START, type AppendInput, type Cursor, type EventLog, type LogEntry } from '../../src/log/event-log.js'
import { FdbEventLog, type FdbEventLogOptions } from '../../src/fdb/fdb-event-log.js'
import { expect } from 'vitest'
import { FakeFdb, type TnInfo } from './fake-fdb.js'

export const inputs = (updates: Uint8Array[], client = 1): AppendInput[] => updates.map((update) => ({ update, origin: { client, user: 'ann' } }))
export const hexes = (us: Array<{ update: Uint8Array }>) => us.map((u) => Buffer.from(u.update).toString('hex'))
/** Only the append transaction itself (it writes versionstamps), not the check that may follow it. */
export const appendTn = (t: TnInfo) => t.versionstamped > 0

export function setup(opts: FdbEventLogOptions = {}) {
  const db = new FakeFdb()
  const warnings: string[] = []
  const log = new FdbEventLog(db, { prefix: 't', pollMs: 40, logger: { warn: (m) => warnings.push(m) }, ...opts })
  return { db, log, warnings }
}

export async function readAll(log: EventLog, room?: string): Promise<LogEntry[]> {
  const out: LogEntry[] = []
  for (let after: Cursor = START; ; ) {
    const page = room === undefined ? await log.readFeed(after, { limit: 5 }) : await log.readRoom(room, after, { limit: 5 })
    if (page.length === 0) return out
    out.push(...page)
    after = page[page.length - 1]!.cursor
  }
}

export async function expectExactlyOnce(log: EventLog, room: string, sent: Uint8Array[], cursors: Cursor[]): Promise<void> {
  const entries = await readAll(log, room)
  expect(hexes(entries)).toEqual(sent.map((u) => Buffer.from(u).toString('hex')))
  expect(entries.map((e) => e.cursor)).toEqual(cursors)
  expect((await readAll(log)).map((e) => e.cursor)).toEqual(cursors)
  expect(await log.head(room)).toBe(cursors[cursors.length - 1])
}

export async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** A real Yjs update of about `bytes` bytes: one map entry holding a binary value. */
export function bigUpdate(bytes: number, client = 9): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = client
  let out: Uint8Array | null = null
  doc.on('update', (u: Uint8Array) => (out = u))
  doc.getMap('m').set('blob', new Uint8Array(bytes).map((_, i) => (i * 7) & 0xff))
  return out!
}
