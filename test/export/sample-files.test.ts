/**
 * CSV and Parquet exports of a recorded session: one row per sample with the
 * values the projection holds, checked against the projection's own views
 * (plain SQL, not the export's reader), and the Parquet file read back by
 * DuckDB.
 */
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memorySink } from '../../src/export/byte-sink.js'
import { csvLine } from '../../src/export/csv-export.js'
import { exportRange } from '../../src/export/export-range.js'
import { writeParquet } from '../../src/export/parquet-export.js'
import { toQuaternion } from '../../src/export/rotation.js'
import { SAMPLE_COLUMNS } from '../../src/export/sample-columns.js'
import { SampleStream } from '../../src/export/sample-stream.js'
import { xformFromRow } from '../../src/projection/object-rows.js'
import type { SampleRow } from '../../src/projection/sample-pages.js'
import { IDS, ROOM, type Recording, T0, record } from '../helpers/recording.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

interface Expected {
  time: string
  seq: number
  object_id: string
  object_name: string | null
  bone: string | null
  user: string
  client: number
  deleted: boolean
  rot_mode: string
  loc: number[]
  quat: number[]
  scale: number[]
}

/** Every sample as the projection's views hold it, keyed `object_id/bone/seq`. */
function expectedRows(rec: Recording, fromSeq = 0, toSeq = Infinity): Map<string, Expected> {
  const out = new Map<string, Expected>()
  const x = (r: Record<string, unknown>) => xformFromRow(r as never)!
  const objects = rec.db.prepare('SELECT * FROM object_history WHERE room = ? ORDER BY seq').all(ROOM) as Array<Record<string, any>>
  const nameAt = (id: string, seq: number) => objects.filter((o) => o.object_id === id && o.seq <= seq).at(-1)?.name ?? null
  const add = (r: Record<string, any>, bone: string | null) => {
    if (r.seq < fromSeq || r.seq > toSeq) return
    const v = x(r)
    out.set(`${r.object_id}/${bone ?? ''}/${r.seq}`, {
      time: new Date(r.time).toISOString(),
      seq: r.seq,
      object_id: r.object_id,
      object_name: bone === null ? r.name : nameAt(r.object_id, r.seq),
      bone,
      user: r.user,
      client: r.client,
      deleted: r.deleted === 1,
      rot_mode: v.mode,
      loc: v.location,
      quat: toQuaternion(v),
      scale: v.scale,
    })
  }
  for (const r of objects) add(r, null)
  for (const r of rec.db.prepare('SELECT * FROM pose_history WHERE room = ?').all(ROOM) as Array<Record<string, any>>) add(r, r.bone)
  return out
}

function parseCsv(text: string): Array<Record<string, string>> {
  const [head, ...lines] = text.split('\r\n').filter((l) => l !== '')
  const cols = head!.split(',')
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])))
}

const csvNumOrNull = (s: string) => (s === '' ? null : Number(s))

describe('CSV and Parquet exports', () => {
  let rec: Recording
  let dir: string

  beforeAll(async () => {
    rec = await record()
    dir = tmpDir()
  })
  afterAll(async () => {
    await rec.close()
    rmTmp(dir)
  })

  it('[H1] CSV holds one row per sample, bone rows beside object rows, with the recorded values and the rotation as a unit quaternion', async () => {
    const sink = memorySink()
    const summary = await exportRange(rec.tt, { room: ROOM, format: 'csv' }, sink)
    const rows = parseCsv(Buffer.from(sink.bytes()).toString('utf8'))
    const expected = expectedRows(rec)
    expect(summary.samples).toBe(expected.size)
    expect(rows).toHaveLength(expected.size)
    expect(Object.keys(rows[0]!)).toEqual([...SAMPLE_COLUMNS])
    for (const r of rows) {
      const e = expected.get(`${r.object_id}/${r.bone}/${r.seq}`)
      expect(e, `row ${JSON.stringify(r)}`).toBeDefined()
      expect(r).toMatchObject({ time: e!.time, room: ROOM, object_name: e!.object_name ?? '', user: e!.user, client: String(e!.client), deleted: String(e!.deleted), rot_mode: e!.rot_mode })
      expect([r.loc_x, r.loc_y, r.loc_z].map(csvNumOrNull)).toEqual(e!.loc)
      expect([r.rot_w, r.rot_x, r.rot_y, r.rot_z].map(csvNumOrNull)).toEqual(e!.quat)
      expect([r.scale_x, r.scale_y, r.scale_z].map(csvNumOrNull)).toEqual(e!.scale)
    }
    // The rename shows in the rows after it; bone rows carry the armature's name.
    const cone = rows.filter((r) => r.object_id === IDS.cone).map((r) => r.object_name)
    expect(cone).toEqual(['Cone', 'Cone', 'Spike'])
    expect(new Set(rows.filter((r) => r.bone !== '').map((r) => r.object_name))).toEqual(new Set(['Rig']))
    expect(rows.find((r) => r.object_id === IDS.hinge && r.deleted === 'true')).toBeDefined()
  })

  it('[H2] the rows do not depend on the page size the export reads with', async () => {
    const all = async (pageSize: number) => {
      const sink = memorySink()
      const { writeCsv } = await import('../../src/export/csv-export.js')
      await writeCsv(new SampleStream(rec.tt, ROOM, 0, rec.tt.head(), { pageSize }), sink)
      return Buffer.from(sink.bytes()).toString()
    }
    const reference = await all(4096)
    for (const size of [1, 2, 3, 7]) expect(await all(size)).toBe(reference)
  })

  it('[H1] a range by position or by time holds exactly the samples inside it', async () => {
    const bySeq = memorySink()
    await exportRange(rec.tt, { room: ROOM, format: 'csv', from: { seq: rec.seqOf.rotate! }, to: { seq: rec.seqOf.rename! } }, bySeq)
    const seqRows = parseCsv(Buffer.from(bySeq.bytes()).toString())
    expect(seqRows.map((r) => `${r.object_id}/${r.bone}/${r.seq}`).sort()).toEqual([...expectedRows(rec, rec.seqOf.rotate!, rec.seqOf.rename!).keys()].sort())
    // 10:00:01.000 .. 10:00:03.500: the same entries, named by time.
    const byTime = memorySink()
    await exportRange(rec.tt, { room: ROOM, format: 'csv', from: { time: T0 + 1000 }, to: { time: T0 + 3500 } }, byTime)
    expect(Buffer.from(byTime.bytes()).toString()).toBe(Buffer.from(bySeq.bytes()).toString())
  })

  it('CSV quotes fields that need it and leaves missing values empty', () => {
    const row = { object_id: 'id', bone: null, seq: 3, time: T0, user: 'Ann "the mover", jr', client: 7, deleted: 0, name: ' padded ', type: 'EMPTY', parent: null, visible: 1 } as SampleRow
    const line = csvLine('r,1', { ...row, rot_mode: null, loc_x: null, loc_y: null, loc_z: null, rot_w: null, rot_x: null, rot_y: null, rot_z: null, scale_x: null, scale_y: null, scale_z: null })
    expect(line).toBe(`2026-11-24T10:00:00.000Z,3,"r,1",id," padded ",,"Ann ""the mover"", jr",7,false,,true,,,,,,,,,,,`)
  })

  it('[H1] Parquet read back by DuckDB has the same rows, values and types, across several row groups', async () => {
    const file = path.join(dir, 'samples.parquet')
    const fd = fs.openSync(file, 'w')
    const { fdSink } = await import('../../src/export/byte-sink.js')
    await writeParquet(new SampleStream(rec.tt, ROOM, 0, rec.tt.head()), fdSink(fd), { rowGroupRows: 5 })
    fs.closeSync(fd)
    const duck = await DuckDBInstance.create(':memory:')
    const conn = await duck.connect()
    try {
      const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS()
      expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({
        time: 'TIMESTAMP WITH TIME ZONE',
        seq: 'BIGINT',
        object_id: 'VARCHAR',
        bone: 'VARCHAR',
        deleted: 'BOOLEAN',
        loc_x: 'DOUBLE',
        rot_w: 'DOUBLE',
      })
      const groups = (await conn.runAndReadAll(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata('${file}')`)).getRowObjectsJS()
      const expected = expectedRows(rec)
      expect(Number(groups[0]!.n)).toBe(Math.ceil(expected.size / 5))
      const rows = (
        await conn.runAndReadAll(`SELECT epoch_ms(time) AS ms, * EXCLUDE (time) FROM read_parquet('${file}')`)
      ).getRowObjectsJS() as Array<Record<string, any>>
      expect(rows).toHaveLength(expected.size)
      for (const r of rows) {
        const e = expected.get(`${r.object_id}/${r.bone ?? ''}/${r.seq}`)!
        expect(e, `row ${r.object_id} ${r.bone} ${r.seq}`).toBeDefined()
        expect(new Date(Number(r.ms)).toISOString()).toBe(e.time)
        expect({ seq: Number(r.seq), room: r.room, object_name: r.object_name, user: r.user, client: Number(r.client), deleted: r.deleted, rot_mode: r.rot_mode }).toEqual({
          seq: e.seq,
          room: ROOM,
          object_name: e.object_name,
          user: e.user,
          client: e.client,
          deleted: e.deleted,
          rot_mode: e.rot_mode,
        })
        expect([r.loc_x, r.loc_y, r.loc_z]).toEqual(e.loc)
        expect([r.rot_w, r.rot_x, r.rot_y, r.rot_z]).toEqual(e.quat)
        expect([r.scale_x, r.scale_y, r.scale_z]).toEqual(e.scale)
      }
      // A question people ask of it: how far did each object travel?
      const dist = (
        await conn.runAndReadAll(`SELECT object_name, max(loc_x) - min(loc_x) AS dx FROM read_parquet('${file}') WHERE bone IS NULL GROUP BY ALL ORDER BY object_name`)
      ).getRowObjectsJS()
      expect(dist.find((d) => d.object_name === 'Suzanne')!.dx).toBe(2)
    } finally {
      conn.closeSync()
      duck.closeSync()
    }
  })

  it('a sample without a valid transform is NULL in Parquet, whatever column types the rest of its row group has', async () => {
    const base = { object_id: 'x', bone: null, seq: 1, time: T0, user: 'u', client: 1, deleted: 0, name: 'X', type: 'EMPTY', parent: null, visible: 1 }
    const good = { ...base, rot_mode: 'XYZ', loc_x: 1, loc_y: 2, loc_z: 3, rot_w: null, rot_x: 0, rot_y: 0, rot_z: 0, scale_x: 1, scale_y: 1, scale_z: 1 }
    const bad = { ...base, seq: 2, rot_mode: null, loc_x: null, loc_y: null, loc_z: null, rot_w: null, rot_x: null, rot_y: null, rot_z: null, scale_x: null, scale_y: null, scale_z: null }
    const stream = { room: 'r', pages: function* () { yield [good, bad, good] as SampleRow[] }, advance: async () => {} } as unknown as SampleStream
    const file = path.join(dir, 'nulls.parquet')
    const sink = memorySink()
    await writeParquet(stream, sink)
    fs.writeFileSync(file, sink.bytes())
    const duck = await DuckDBInstance.create(':memory:')
    const conn = await duck.connect()
    try {
      const rows = (await conn.runAndReadAll(`SELECT seq, rot_mode, loc_x, rot_w, scale_z FROM read_parquet('${file}')`)).getRowObjectsJS()
      expect(rows).toEqual([
        { seq: 1n, rot_mode: 'XYZ', loc_x: 1, rot_w: 1, scale_z: 1 },
        { seq: 2n, rot_mode: null, loc_x: null, rot_w: null, scale_z: null },
        { seq: 1n, rot_mode: 'XYZ', loc_x: 1, rot_w: 1, scale_z: 1 },
      ])
    } finally {
      conn.closeSync()
      duck.closeSync()
    }
  })

  it('an empty range is a valid file with a header (CSV) or no rows (Parquet)', async () => {
    const csv = memorySink()
    const s = await exportRange(rec.tt, { room: ROOM, format: 'csv', from: { seq: 999 }, to: { seq: 1000 } }, csv)
    expect(s.samples).toBe(0)
    expect(Buffer.from(csv.bytes()).toString()).toBe(SAMPLE_COLUMNS.join(',') + '\r\n')
    const file = path.join(dir, 'empty.parquet')
    const pq = memorySink()
    await exportRange(rec.tt, { room: ROOM, format: 'parquet', from: { seq: 999 } }, pq)
    fs.writeFileSync(file, pq.bytes())
    const duck = await DuckDBInstance.create(':memory:')
    const conn = await duck.connect()
    try {
      expect((await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${file}')`)).getRowObjectsJS()[0]!.n).toBe(0n)
    } finally {
      conn.closeSync()
      duck.closeSync()
    }
  })
})
