/**
 * Samples read on a worker thread (`[H2]`: the export reads ahead while it
 * encodes): the same pages as reading on the caller's thread, through many
 * more pages than the worker may run ahead, stopping early when the reader
 * stops, and failing clearly when it cannot read.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memorySink } from '../../src/export/byte-sink.js'
import { writeParquet } from '../../src/export/parquet-export.js'
import { SampleStream } from '../../src/export/sample-stream.js'
import { openDatabase } from '../../src/projection/sql.js'
import { workerSamplePages } from '../../src/projection/sample-worker.js'
import { TimeTravel } from '../../src/projection/time-travel.js'
import { ROOM, record } from '../helpers/recording.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

describe('samples read on a worker thread', () => {
  let dir: string
  let tt: TimeTravel
  let close: () => void

  beforeAll(async () => {
    dir = tmpDir()
    await (await record(dir)).close()
    const db = openDatabase(path.join(dir, 'projection.sqlite'), { readonly: true })
    tt = new TimeTravel(db)
    close = () => db.close()
  })
  afterAll(() => {
    close()
    rmTmp(dir)
  })

  it('[H2] give the same rows as reading on this thread, a page at a time through more pages than it reads ahead', async () => {
    const stream = (worker: boolean, pageSize: number) => new SampleStream(tt, ROOM, 0, tt.head(), { worker, pageSize })
    const pagesOf = async (s: SampleStream) => {
      const out: unknown[][] = []
      for await (const page of s.pages()) out.push(page)
      return out
    }
    const here = await pagesOf(stream(false, 2))
    const there = await pagesOf(stream(true, 2))
    expect(there.length).toBeGreaterThan(3)
    expect(there).toEqual(here)
    const [a, b] = [memorySink(), memorySink()]
    await writeParquet(stream(false, 3), a)
    await writeParquet(stream(true, 3), b)
    expect(Buffer.from(b.bytes()).equals(Buffer.from(a.bytes()))).toBe(true)
  })

  it('stop when the reader stops, and report a projection they cannot read', async () => {
    let pages = 0
    for await (const _ of workerSamplePages({ file: path.join(dir, 'projection.sqlite'), roomId: tt.requireRoom(ROOM), from: 0, to: tt.head(), pageSize: 1 })) {
      if (++pages === 2) break
    }
    expect(pages).toBe(2)
    const missing = workerSamplePages({ file: path.join(dir, 'nope', 'projection.sqlite'), roomId: 1, from: 0, to: 10, pageSize: 10 })
    await expect(missing.next()).rejects.toThrow(/reading samples: .*(directory does not exist|unable to open)/)
  })
})
