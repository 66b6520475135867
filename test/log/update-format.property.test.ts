import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SceneDoc } from '../../src/crdt/index.js'
import { InvalidUpdateError } from '../../src/log/errors.js'
import { START } from '../../src/log/event-log.js'
import { checkUpdate } from '../../src/log/update-format.js'
import { checkProperty } from '../helpers/prop.js'
import { memoryLog } from '../helpers/projection-fixture.js'
import { applyOp, opArb } from '../helpers/scene-ops.js'

function updatesOf(ops: Parameters<typeof applyOp>[1][]): Uint8Array[] {
  const scene = new SceneDoc()
  const out: Uint8Array[] = []
  scene.doc.on('update', (u: Uint8Array) => out.push(u))
  for (const op of ops) applyOp(scene, op)
  out.push(Y.encodeStateAsUpdate(scene.doc))
  return out
}

describe('update format', () => {
  it('[L4] every update Yjs produces passes; every truncation of one is refused', () =>
    checkProperty(
      'L4 truncations',
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 20 }), (ops) => {
        for (const u of updatesOf(ops)) {
          expect(() => checkUpdate(u)).not.toThrow()
          for (let n = 0; n < u.length; n++) expect(() => checkUpdate(u.subarray(0, n))).toThrow()
        }
      }),
      { numRuns: 60 },
    ))

  it('[L4] random or corrupted bytes are refused by append with a clear error and the log is unchanged; what passes the check, Yjs can apply', () =>
    checkProperty(
      'L4 random bytes',
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.tuple(fc.array(opArb, { minLength: 1, maxLength: 5 }), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([ops, at, byte]) => {
            const u = updatesOf(ops)[0]!.slice()
            u[at % u.length] = byte
            return u
          }),
        ),
        async (bytes) => {
          const log = memoryLog()
          const [ok] = await log.append('r', [{ update: makeValid(), origin: { client: 1, user: 'u' } }])
          let valid = true
          try {
            checkUpdate(bytes)
          } catch {
            valid = false
          }
          if (valid) {
            expect(() => Y.applyUpdate(new Y.Doc(), bytes)).not.toThrow()
          } else {
            const err = await log.append('r', [{ update: bytes, origin: { client: 1, user: 'u' } }]).catch((e: unknown) => e)
            expect(err).toBeInstanceOf(InvalidUpdateError)
            expect((err as Error).message).toMatch(/^update 0 of the batch is not a valid Yjs update: .+ at byte \d+ of \d+$|trailing bytes/)
            expect(await log.head()).toBe(ok)
            expect(await log.readFeed(START)).toHaveLength(1)
          }
          await log.close()
        },
      ),
      { numRuns: 300 },
    ))
})

describe('update format regressions (seeds that once failed)', () => {
  // Found by the random-bytes property: an item whose parent is a later item of
  // the same update that is not a shared type; Y.applyUpdate threw a TypeError.
  it('[L4] refuses a parent that names a non-type item of the same update', () => {
    const forward = Uint8Array.from([1,6,211,128,173,57,0,39,1,7,111,98,106,101,99,116,115,13,48,98,55,99,50,102,55,101,45,48,48,48,53,1,40,0,211,128,173,57,0,4,110,97,109,101,1,119,4,67,117,98,101,40,0,211,128,173,57,0,4,116,121,112,101,1,119,4,77,69,83,72,40,0,211,128,173,57,0,5,120,102,111,114,109,1,117,10,125,2,125,0,125,0,125,0,125,0,125,0,125,0,125,1,125,1,125,1,40,0,211,128,173,57,4,6,112,97,114,101,110,116,1,126,40,0,211,128,173,57,0,7,118,105,115,105,98,108,101,1,120,0])
    expect(() => checkUpdate(forward)).toThrow(/refers forward/)
    // The same kind of item pointing back at the object's 'name' value instead:
    // Yjs drops it silently; it is refused as meaningless.
    const back = Uint8Array.from([1,6,132,250,241,110,0,39,1,7,111,98,106,101,99,116,115,13,48,98,55,99,50,102,55,101,45,48,48,48,49,1,40,0,132,250,241,110,0,4,110,97,109,101,1,119,5,69,109,112,116,121,40,0,132,250,241,110,0,4,116,121,112,101,1,119,5,69,77,80,84,89,40,0,132,250,241,110,1,5,120,102,111,114,109,1,117,10,125,2,125,0,125,0,125,0,125,0,125,0,125,0,125,1,125,1,125,1,40,0,132,250,241,110,0,6,112,97,114,101,110,116,1,126,40,0,132,250,241,110,0,7,118,105,115,105,98,108,101,1,120,0])
    expect(() => checkUpdate(back)).toThrow(/parent \d+:1 is not a shared type/)
  })

  // Found next: Yjs assumes same-client references point back in history.
  it('[L4] refuses an item that refers forward to its own client', () => {
    const u = Uint8Array.from([1,6,132,250,241,110,0,39,1,7,111,98,106,101,99,116,115,13,48,98,55,99,50,102,55,101,45,48,48,48,49,1,40,0,132,250,241,110,0,4,110,97,109,101,1,119,5,69,109,112,116,121,40,0,132,250,241,110,0,4,116,121,112,101,1,119,5,69,77,80,84,89,40,0,132,250,241,110,33,5,120,102,111,114,109,1,117,10,125,2,125,0,125,0,125,0,125,0,125,0,125,0,125,1,125,1,125,1,40,0,132,250,241,110,0,6,112,97,114,101,110,116,1,126,40,0,132,250,241,110,0,7,118,105,115,105,98,108,101,1,120,0])
    expect(() => checkUpdate(u)).toThrow(/refers forward/)
  })
})

function makeValid(): Uint8Array {
  const d = new Y.Doc()
  d.getMap('m').set('k', 1)
  return Y.encodeStateAsUpdate(d)
}
