/**
 * The agent's journal with a doc that holds geometry: compaction rewrites the
 * whole doc, so it must not run on every update once the doc is larger than
 * the fixed threshold, nor right after a join wrote one big sync reply.
 */
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Journal } from '../../src/agent/journal.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const dirs: string[] = []
afterEach(() => dirs.splice(0).forEach(rmTmp))

describe('journal compaction', () => {
  it('compacts when the journal doubled since its last compaction, not on every update of a big doc', () => {
    const dir = tmpDir()
    dirs.push(dir)
    const j = new Journal(path.join(dir, 'j'))
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    doc.getMap('geometry').set('a', new Uint8Array(20 << 20))
    j.append(updates.pop()!)
    // One record, however large (a join's sync reply): already compact.
    expect(j.needsCompaction()).toBe(false)
    for (let i = 0; i < 10; i++) {
      doc.getMap('objects').set(`o${i}`, i)
      j.append(updates.pop()!)
    }
    expect(j.needsCompaction()).toBe(false)
    j.compact(doc)
    doc.getMap('objects').set('after', 1)
    j.append(updates.pop()!)
    expect(j.needsCompaction()).toBe(false)
    doc.getMap('geometry').set('b', new Uint8Array(24 << 20))
    j.append(updates.pop()!)
    expect(j.needsCompaction()).toBe(true)
    j.close()
    expect(Journal.read(path.join(dir, 'j')).length).toBe(3)
  })
})
