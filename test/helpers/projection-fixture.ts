/**
 * Builds an event log from a random edit script (several rooms, several
 * writers per room that sync lazily, so updates are concurrent) and reads a
 * projection database back as plain rows for row-for-row comparison.
 */
import fc from 'fast-check'
import * as Y from 'yjs'
import { SceneDoc } from '../../src/crdt/index.js'
import type { Cursor, EventLog } from '../../src/log/event-log.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import type { SqlDatabase } from '../../src/projection/sql.js'
import { type Op, applyOp, opArb } from './scene-ops.js'

export const ROOMS = ['studio', 'stage']

export type Step = { t: 'edit'; room: number; w: number; op: Op } | { t: 'sync'; room: number; from: number; to: number }

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('edit' as const), room: fc.nat(ROOMS.length - 1), w: fc.nat(1), op: opArb }), weight: 5 },
  { arbitrary: fc.record({ t: fc.constant('sync' as const), room: fc.nat(ROOMS.length - 1), from: fc.nat(1), to: fc.nat(1) }), weight: 1 },
)

export const scriptArb = fc.array(stepArb, { minLength: 1, maxLength: 80 })

export interface Produced {
  room: string
  update: Uint8Array
  client: number
}

/** Runs the script; returns every update in production order (= log order). */
export function produce(steps: Step[]): Produced[] {
  const writers = ROOMS.map((_, r) =>
    [0, 1].map((w) => {
      const doc = new Y.Doc()
      doc.clientID = 100 + r * 10 + w
      return new SceneDoc(doc)
    }),
  )
  const out: Produced[] = []
  const seen = writers.map((ws) => ws.map(() => 0))
  const mine = writers.map((ws) => ws.map(() => [] as Uint8Array[]))
  writers.forEach((ws, r) =>
    ws.forEach((s, w) =>
      s.doc.on('update', (u: Uint8Array, origin: unknown) => {
        if (origin === 'remote') return
        mine[r]![w]!.push(u)
        out.push({ room: ROOMS[r]!, update: u, client: s.doc.clientID })
      }),
    ),
  )
  for (const s of steps) {
    if (s.t === 'edit') applyOp(writers[s.room]![s.w]!, s.op)
    else if (s.from !== s.to) {
      const ups = mine[s.room]![s.from]!
      for (let i = seen[s.room]![s.to]!; i < ups.length; i++) Y.applyUpdate(writers[s.room]![s.to]!.doc, ups[i]!, 'remote')
      seen[s.room]![s.to] = ups.length
    }
  }
  return out
}

export async function appendAll(log: EventLog, produced: Produced[]): Promise<Cursor[]> {
  const cursors: Cursor[] = []
  for (const p of produced) cursors.push(...(await log.append(p.room, [{ update: p.update, origin: { client: p.client, user: `user-${p.client}` } }])))
  return cursors
}

export function memoryLog(): SqliteEventLog {
  return new SqliteEventLog(':memory:', { durability: 'normal' })
}

const TABLES: Array<[string, string]> = [
  ['projector_state', 'id'],
  ['rooms', 'room_id'],
  ['events', 'seq'],
  ['object_keys', 'obj'],
  ['objects', 'obj'],
  ['bones', 'obj, bone'],
  ['history', 'obj, seq'],
  ['bone_keys', 'obj, bone'],
  ['bone_history', 'obj, bone, seq'],
  ['rejected', 'id'],
  ['data_keys', 'dkey'],
  ['data_versions', 'dkey, seq'],
  ['data_blocks', 'dkey'],
  ['geometry_chunks', 'room_id, hash, idx, seq'],
  ['collection_history', 'room_id, collection_id, seq'],
  ['collections', 'room_id, collection_id'],
  ['scene_history', 'room_id, seq'],
]

/** Every projection table as rows in primary-key order. */
export function dumpTables(db: SqlDatabase): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {}
  for (const [t, pk] of TABLES) out[t] = db.prepare(`SELECT * FROM ${t} ORDER BY ${pk}`).all()
  return out
}
