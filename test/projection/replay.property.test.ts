import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SceneDoc } from '../../src/crdt/index.js'
import { loadRoom } from '../../src/projection/load-room.js'
import { checkProperty } from '../helpers/prop.js'
import { memoryLog } from '../helpers/projection-fixture.js'
import { applyOp, content, opArb } from '../helpers/scene-ops.js'

describe('replay', () => {
  it('[C2] replaying any prefix of the log (from a snapshot plus tail, or from the start) gives the writer doc content at that point', () =>
    checkProperty(
      'C2 replay',
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.array(fc.nat(), { maxLength: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), async (ops, snapAt, probes) => {
        const log = memoryLog()
        try {
          const writer = new SceneDoc()
          const updates: Uint8Array[] = []
          const after: string[] = [] // content after each update (a geometry edit makes several)
          writer.doc.on('update', (u: Uint8Array) => {
            updates.push(u)
            after.push(content(writer))
          })
          for (const op of ops) applyOp(writer, op)
          if (updates.length === 0) return
          const cursors = await log.append('r', updates.map((update) => ({ update, origin: { client: writer.doc.clientID, user: 'w' } })))
          // Snapshots built the way the projector builds them: a doc replayed to that point.
          for (const s of snapAt.map((x) => x % cursors.length).sort((a, b) => a - b)) {
            const d = new Y.Doc()
            for (const u of updates.slice(0, s + 1)) Y.applyUpdate(d, u)
            await log.putSnapshot({ room: 'r', cursor: cursors[s]!, state: Y.encodeStateAsUpdate(d) })
          }
          for (const p of probes) {
            const k = p % cursors.length
            const loaded = await loadRoom(log, 'r', cursors[k]!, 3)
            expect(loaded.cursor).toBe(cursors[k])
            expect(content(new SceneDoc(loaded.doc))).toBe(after[k])
          }
          expect(content(new SceneDoc((await loadRoom(log, 'r')).doc))).toBe(after[after.length - 1])
        } finally {
          await log.close()
        }
      }),
      { numRuns: 80 },
    ))
})
