import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { type Problem, SceneDoc } from '../../src/crdt/index.js'
import { applyOp, canonical, content, opArb } from '../helpers/scene-ops.js'
import { checkProperty } from '../helpers/prop.js'

/** A script: edits on replicas, interleaved with partial deliveries between them. */
const stepArb = (n: number) =>
  fc.oneof(
    { arbitrary: fc.record({ t: fc.constant('edit' as const), r: fc.nat(n - 1), op: opArb }), weight: 4 },
    { arbitrary: fc.record({ t: fc.constant('sync' as const), from: fc.nat(n - 1), to: fc.nat(n - 1), keep: fc.double({ min: 0, max: 1, noNaN: true }) }), weight: 1 },
  )

const scenarioArb = fc.integer({ min: 2, max: 6 }).chain((n) =>
  fc.record({ n: fc.constant(n), steps: fc.array(stepArb(n), { minLength: 1, maxLength: 60 }), order: fc.array(fc.nat(), { minLength: 1, maxLength: 400 }) }),
)

describe('convergence', () => {
  it('[C1] 2–6 replicas fed random edits (data blocks, geometry, collections included) and random delivery orders with duplicates converge to identical content', () =>
    checkProperty(
      'C1 convergence',
      fc.property(scenarioArb, ({ n, steps, order }) => {
        const replicas = Array.from({ length: n }, (_, i) => {
          const doc = new Y.Doc()
          doc.clientID = 1000 + i
          return new SceneDoc(doc)
        })
        // Every update each replica produced, in production order.
        const produced: Uint8Array[][] = replicas.map(() => [])
        replicas.forEach((s, i) => s.doc.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && produced[i]!.push(u)))
        let pick = 0
        const next = () => order[pick++ % order.length]!
        for (const step of steps) {
          if (step.t === 'edit') applyOp(replicas[step.r]!, step.op)
          else {
            // Deliver a random subset, shuffled, some twice.
            const ups = produced[step.from]!.filter(() => next() % 100 < step.keep * 100)
            for (const u of shuffle(ups.concat(ups.filter(() => next() % 3 === 0)), next)) Y.applyUpdate(replicas[step.to]!.doc, u, 'remote')
          }
        }
        // Finally everyone gets everything, in its own random order, with duplicates.
        const all = produced.flat()
        for (const r of replicas) for (const u of shuffle(all.concat(all.filter(() => next() % 4 === 0)), next)) Y.applyUpdate(r.doc, u, 'remote')
        const first = content(replicas[0]!)
        for (const r of replicas) expect(content(r)).toBe(first)
        // The typed reads agree too, and none of our own writes is ever reported as invalid.
        const problems: Problem[] = []
        const typed = canonical([replicas[0]!.readAll(problems), replicas[0]!.readAllData(problems), replicas[0]!.readCollections(problems), replicas[0]!.readSceneSettings(problems)])
        for (const r of replicas) expect(canonical([r.readAll(), r.readAllData(), r.readCollections(), r.readSceneSettings()])).toBe(typed)
        expect(problems).toEqual([])
      }),
      { numRuns: 150 },
    ))
})

function shuffle<T>(items: T[], next: () => number): T[] {
  const a = items.slice()
  for (let i = a.length - 1; i > 0; i--) {
    const j = next() % (i + 1)
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}
