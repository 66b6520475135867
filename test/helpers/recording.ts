/**
 * A small recorded session for export and query tests: real Yjs updates from
 * two people, appended to a real SQLite event log at chosen wall-clock times
 * (only Date is faked, so the log's own clock reads them), projected by the
 * real projector. It covers every rotation mode, a hierarchy, an armature with
 * pose bones, an object that never moves, one created and one deleted inside
 * the history, a rename, two entries in one millisecond and two objects with
 * the same name.
 */
import path from 'node:path'
import { vi } from 'vitest'
import * as Y from 'yjs'
import { SceneDoc, type Xform } from '../../src/crdt/index.js'
import { SqliteEventLog } from '../../src/log/sqlite-event-log.js'
import { Projector } from '../../src/projection/projector.js'
import { type SqlDatabase, openDatabase } from '../../src/projection/sql.js'
import { TimeTravel } from '../../src/projection/time-travel.js'

export const ROOM = 'studio'
/** 2026-11-24T10:00:00Z */
export const T0 = Date.UTC(2026, 10, 24, 10, 0, 0)

export const IDS = {
  suzanne: '5d1c0000-0000-4000-8000-000000000001',
  pivot: '5d1c0000-0000-4000-8000-000000000002',
  hinge: '5d1c0000-0000-4000-8000-000000000003',
  rig: '5d1c0000-0000-4000-8000-000000000004',
  still: '5d1c0000-0000-4000-8000-000000000005',
  cone: '5d1c0000-0000-4000-8000-000000000006',
  twinA: '5d1c0000-0000-4000-8000-000000000007',
  twinB: '5d1c0000-0000-4000-8000-000000000008',
} as const

/** The Yjs client id each person's session had (the log records the sender's). */
export const CLIENTS: Record<string, number> = { ann: 1001, bob: 1002 }

export const xf = (mode: Xform['mode'], location: number[], rotation: number[], scale: number[] = [1, 1, 1]): Xform => ({
  mode,
  location: location as Xform['location'],
  rotation,
  scale: scale as Xform['scale'],
})

export interface Recording {
  log: SqliteEventLog
  db: SqlDatabase
  tt: TimeTravel
  /** Log positions by step label. */
  seqOf: Record<string, number>
  close(): Promise<void>
}

type Step = [label: string, ms: number, user: string, edit: (s: SceneDoc) => void]

export const STEPS: Step[] = [
  [
    'setup',
    0,
    'ann',
    (s) => {
      s.upsertObject(IDS.suzanne, { name: 'Suzanne', type: 'MESH', xform: xf('XYZ', [1, 2, 3], [0.1, 0.2, 0.3]) })
      s.upsertObject(IDS.pivot, { name: 'Pivot', type: 'EMPTY', xform: xf('QUATERNION', [0, 0, 1], [1, 0, 0, 0]) })
      s.upsertObject(IDS.hinge, { name: 'Hinge', type: 'EMPTY', parent: IDS.pivot, xform: xf('AXIS_ANGLE', [0, 1, 0], [0.5, 0, 0, 1]) })
      s.upsertObject(IDS.rig, { name: 'Rig', type: 'ARMATURE', xform: xf('XYZ', [0, 0, 0], [0, 0, 0]) })
      s.setBonePose(IDS.rig, 'root', xf('QUATERNION', [0, 0, 0], [1, 0, 0, 0]))
      s.setBonePose(IDS.rig, 'hand.L', xf('XYZ', [0, 0, 0], [0, 0, 0]))
      s.upsertObject(IDS.still, { name: 'Still', type: 'EMPTY', xform: xf('XYZ', [5, 5, 0], [0, 0, 0.7], [2, 2, 2]) })
    },
  ],
  ['move', 500, 'ann', (s) => s.setXform(IDS.suzanne, xf('XYZ', [2, 2, 3], [0.1, 0.2, 0.3]))],
  ['rotate', 1000, 'bob', (s) => s.setXform(IDS.suzanne, xf('ZYX', [2, 2, 3], [0.4, -0.5, 1.2]))],
  // A second entry in the same millisecond: the later one is the value at that time.
  ['same-ms', 1000, 'bob', (s) => s.setXform(IDS.suzanne, xf('ZYX', [2.5, 2, 3], [0.4, -0.5, 1.2]))],
  ['pivot', 1250, 'ann', (s) => s.setXform(IDS.pivot, xf('QUATERNION', [0, 0, 1], [2, 2, 0, 0]))],
  ['hinge', 1500, 'bob', (s) => s.setXform(IDS.hinge, xf('AXIS_ANGLE', [0, 1, 0.5], [1.25, 0, 3, 4]))],
  [
    'pose',
    2000,
    'ann',
    (s) => {
      s.setBonePose(IDS.rig, 'hand.L', xf('YZX', [0, 0.25, 0], [0.3, 0.2, 0.1]))
      s.setBonePose(IDS.rig, 'root', xf('QUATERNION', [0, 0, 0], [0.9, 0.1, 0.3, 0.2], [1, 1.5, 1]))
    },
  ],
  ['create', 2500, 'bob', (s) => s.upsertObject(IDS.cone, { name: 'Cone', type: 'MESH', parent: IDS.suzanne, xform: xf('XZY', [-1, 0, 0], [0, 0.3, 0]) })],
  [
    'both',
    3000,
    'ann',
    (s) =>
      s.transact(() => {
        s.setXform(IDS.cone, xf('XZY', [-1, 0, 2], [0, 0.3, 0]))
        s.setXform(IDS.suzanne, xf('ZYX', [2.5, 2, 3], [0.4, -0.5, 1.2], [2, 2, 2]))
      }),
  ],
  ['rename', 3500, 'bob', (s) => s.rename(IDS.cone, 'Spike')],
  ['pose2', 3750, 'bob', (s) => s.setBonePose(IDS.rig, 'hand.L', xf('YZX', [0, 0.5, 0], [0.6, 0.2, 0.1]))],
  ['delete', 4000, 'ann', (s) => s.deleteObject(IDS.hinge)],
  [
    'twins',
    4500,
    'bob',
    (s) => {
      s.upsertObject(IDS.twinA, { name: 'Twin', type: 'EMPTY', xform: xf('XYZ', [0, 3, 0], [0, 0, 0]) })
      s.upsertObject(IDS.twinB, { name: 'Twin', type: 'EMPTY', xform: xf('XYZ', [0, -3, 0], [0, 0, 0]) })
    },
  ],
  ['last', 5000, 'ann', (s) => s.setXform(IDS.suzanne, xf('ZYX', [3, 2, 3], [0.4, -0.5, 1.6], [2, 2, 2]))],
]

/** Records STEPS into a log and projection (in `dir`, or in memory). */
export async function record(dir?: string): Promise<Recording> {
  const log = dir ? SqliteEventLog.open(dir, { durability: 'normal' }) : new SqliteEventLog(':memory:', { durability: 'normal' })
  const db = openDatabase(dir ? path.join(dir, 'projection.sqlite') : ':memory:')
  const scene = new SceneDoc(new Y.Doc())
  const pending: Uint8Array[] = []
  scene.doc.on('update', (u: Uint8Array) => pending.push(u))
  const seqOf: Record<string, number> = {}
  vi.useFakeTimers({ toFake: ['Date'] })
  try {
    let seq = 0
    for (const [label, ms, user, edit] of STEPS) {
      scene.transact(() => edit(scene))
      vi.setSystemTime(T0 + ms)
      const update = pending.length === 1 ? pending[0]! : Y.mergeUpdates(pending)
      pending.length = 0
      await log.append(ROOM, [{ update, origin: { client: CLIENTS[user]!, user } }])
      seqOf[label] = ++seq
    }
  } finally {
    vi.useRealTimers()
  }
  const projector = new Projector(log, db)
  await projector.catchUp()
  await projector.stop()
  return {
    log,
    db,
    tt: new TimeTravel(db),
    seqOf,
    close: async () => {
      db.close()
      await log.close()
    },
  }
}
