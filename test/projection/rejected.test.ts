import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { IDENTITY_XFORM, SceneDoc, encodeXform } from '../../src/crdt/index.js'
import { Projector } from '../../src/projection/projector.js'
import { openDatabase } from '../../src/projection/sql.js'
import { TimeTravel } from '../../src/projection/time-travel.js'
import { checkProperty } from '../helpers/prop.js'
import { memoryLog } from '../helpers/projection-fixture.js'

/** Bad values a foreign Yjs client could write into an object's map. */
const badValues: Array<[string, unknown, RegExp]> = [
  ['name', 42, /name must be a string/],
  ['type', ['MESH'], /type must be a Blender object type/],
  ['visible', 'yes', /visible must be a boolean/],
  ['parent', 7, /parent must be an object id or null/],
  ['xform', [2, 0, 0, NaN, 0, 0, 0, 1, 1, 1], /xform\[3\] must be a finite number, got NaN/],
  ['xform', [2, 0, 0, 0, 0, 0, 0, 1, 1], /must hold 10 values, got 9/],
  ['xform', { location: [0, 0, 0] }, /xform must be an array/],
  ['colour', 'red', /unknown key "colour"/],
]

describe('rejected values', () => {
  it('[P4] a valid update with malformed values records each in the rejected table with its reason; the rest of that update and later updates still project', async () => {
    const log = memoryLog()
    const db = openDatabase(':memory:')
    const projector = new Projector(log, db)
    const foreign = new SceneDoc()
    const updates: Uint8Array[] = []
    foreign.doc.on('update', (u: Uint8Array) => updates.push(u))
    foreign.upsertObject('good', { name: 'Good', type: 'MESH', xform: IDENTITY_XFORM })
    foreign.upsertObject('victim', { name: 'Victim', type: 'ARMATURE', xform: IDENTITY_XFORM })
    // One transaction: valid edits and malformed values in the same update.
    foreign.transact(() => {
      foreign.setXform('good', { ...IDENTITY_XFORM, location: [1, 2, 3] })
      const victim = foreign.objects.get('victim')!
      for (const [key, value] of badValues) victim.set(key, value)
      const pose = victim.get('pose') as Y.Map<unknown>
      pose.set('arm', 'not a transform')
      pose.set('leg', encodeXform({ ...IDENTITY_XFORM, location: [0, 1, 0] }))
      foreign.objects.set('not-a-map', 'just a string' as never)
    })
    foreign.rename('good', 'Still good')
    await log.append('r', updates.map((update) => ({ update, origin: { client: foreign.doc.clientID, user: 'foreign' } })))
    await projector.catchUp()

    const rejected = db.prepare('SELECT seq, object_id, key, bone, value, reason FROM rejected ORDER BY id').all() as Array<{ seq: number; object_id: string; key: string; bone: string | null; value: string; reason: string }>
    // Each bad value is reported once; for a key written twice in the transaction, its last value.
    const lastBad = new Map(badValues.map(([k, v, r]) => [k, [v, r] as const]))
    for (const [key, [, reason]] of lastBad) expect(rejected.find((r) => r.object_id === 'victim' && r.key === key)?.reason).toMatch(reason)
    expect(rejected.find((r) => r.bone === 'arm')).toMatchObject({ seq: 3, key: 'pose', value: '"not a transform"' })
    expect(rejected.find((r) => r.object_id === 'not-a-map')?.reason).toMatch(/must be a Y.Map/)
    expect(rejected.every((r) => r.seq === 3)).toBe(true)

    const scene = new TimeTravel(db).sceneAt('r')
    const good = scene.find((o) => o.id === 'good')!
    expect(good.name).toBe('Still good')
    expect(good.xform?.location).toEqual([1, 2, 3])
    // The victim keeps its last valid values; its valid bone projects.
    const victim = scene.find((o) => o.id === 'victim')!
    expect(victim).toMatchObject({ name: 'Victim', type: 'ARMATURE', visible: true })
    expect(victim.xform).toEqual(IDENTITY_XFORM)
    expect(Object.keys(victim.pose)).toEqual(['leg'])
    expect(scene.find((o) => o.id === 'not-a-map')).toBeUndefined()
  })

  it('[P4] any value a foreign client can put under any key is either projected or rejected with a reason, never a crash', () =>
    checkProperty(
      'P4 foreign values',
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('name', 'type', 'parent', 'visible', 'xform', 'pose', 'other'), fc.jsonValue()), { minLength: 1, maxLength: 6 }),
        async (writes) => {
          const log = memoryLog()
          const db = openDatabase(':memory:')
          const doc = new SceneDoc()
          const updates: Uint8Array[] = []
          doc.doc.on('update', (u: Uint8Array) => updates.push(u))
          doc.upsertObject('o', { name: 'O', type: 'EMPTY' })
          for (const [k, v] of writes) doc.objects.get('o')!.set(k, v)
          doc.rename('o', 'After')
          await log.append('r', updates.map((update) => ({ update, origin: { client: 1, user: 'u' } })))
          await new Projector(log, db).catchUp()
          expect(new TimeTravel(db).sceneAt('r')[0]?.name).toBe('After')
          const reasons = db.prepare('SELECT reason FROM rejected').all() as Array<{ reason: string }>
          expect(reasons.every((r) => r.reason.length > 0)).toBe(true)
          await log.close()
        },
      ),
      { numRuns: 60 },
    ))
})
