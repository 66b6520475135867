/**
 * Samples as Parquet, written with hyparquet-writer's incremental
 * ParquetWriter: one row group per `rowGroupRows` samples, flushed to the sink
 * as soon as it is encoded, so memory holds one row group (`[H2]`); the footer
 * (row group metadata, a few hundred bytes per group) is all that grows.
 *
 * Types: `time` is a UTC timestamp in milliseconds, `seq` and `client` INT64,
 * strings UTF-8 (dictionary-encoded where that pays), `deleted` and `visible`
 * booleans, the transform DOUBLE (the projection's REAL, exactly). Row groups
 * carry min/max of `time`, `seq` and `object_id`, so a reader filtering on
 * them skips the groups that cannot match.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import type { ByteSink } from './byte-sink.js'
import type { Quat } from './rotation.js'
import { SAMPLE_COLUMNS, sampleQuaternion } from './sample-columns.js'
import type { SampleStream } from './sample-stream.js'

// hyparquet-writer carries its own hyparquet; take the schema type from it.
type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number]

const FLOATS = ['loc_x', 'loc_y', 'loc_z', 'rot_w', 'rot_x', 'rot_y', 'rot_z', 'scale_x', 'scale_y', 'scale_z'] as const

const STATISTICS = new Set(['time', 'seq', 'object_id'])

const req = 'REQUIRED' as const
const opt = 'OPTIONAL' as const
const str = (name: string, repetition_type: 'REQUIRED' | 'OPTIONAL'): SchemaElement => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type })

export const PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: SAMPLE_COLUMNS.length },
  { name: 'time', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' }, repetition_type: req },
  { name: 'seq', type: 'INT64', repetition_type: req },
  str('room', req),
  str('object_id', req),
  str('object_name', opt),
  str('bone', opt),
  str('user', req),
  { name: 'client', type: 'INT64', repetition_type: req },
  { name: 'deleted', type: 'BOOLEAN', repetition_type: req },
  str('parent_id', opt),
  { name: 'visible', type: 'BOOLEAN', repetition_type: opt },
  str('rot_mode', opt),
  ...FLOATS.map((name): SchemaElement => ({ name, type: 'DOUBLE', repetition_type: opt })),
]

/** A hyparquet Writer that hands each flushed row group to the sink and starts over. */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: ByteSink) {
    super(1 << 20)
  }

  flush(): Promise<void> {
    const bytes = new Uint8Array(this.buffer, 0, this.index)
    const done = this.sink.write(bytes)
    return Promise.resolve(done).then(() => {
      this.index = 0
    })
  }

  override finish(): Promise<void> {
    return this.flush()
  }
}

const STRINGS = ['room', 'object_id', 'object_name', 'bone', 'user', 'parent_id', 'rot_mode'] as const

/**
 * One row group's columns, reused group after group. Numbers go into typed
 * arrays (an array of JS numbers would box each one, and a row group's worth
 * would outlive the young generation and swell the heap); repeated strings are
 * interned, so the group holds one copy of each name rather than one per row.
 * A float column that meets a missing value falls back to an array with nulls.
 */
class RowGroup {
  n = 0
  readonly time: Float64Array
  readonly seq: BigInt64Array
  readonly client: BigInt64Array
  readonly deleted: boolean[]
  readonly visible: Array<boolean | null>
  readonly strings: Record<(typeof STRINGS)[number], Array<string | null>>
  readonly floats: Record<(typeof FLOATS)[number], Float64Array>
  private readonly nulls = new Map<string, number[]>()
  private readonly interned = new Map<string, string>()

  constructor(readonly size: number) {
    this.time = new Float64Array(size)
    this.seq = new BigInt64Array(size)
    this.client = new BigInt64Array(size)
    this.deleted = new Array<boolean>(size)
    this.visible = new Array<boolean | null>(size)
    this.strings = Object.fromEntries(STRINGS.map((k) => [k, new Array<string | null>(size)])) as RowGroup['strings']
    this.floats = Object.fromEntries(FLOATS.map((k) => [k, new Float64Array(size)])) as RowGroup['floats']
  }

  intern(s: string | null): string | null {
    if (s === null) return null
    let v = this.interned.get(s)
    if (v === undefined) this.interned.set(s, (v = s))
    return v
  }

  setFloat(name: (typeof FLOATS)[number], i: number, v: number | null): void {
    if (v !== null) this.floats[name][i] = v
    else {
      let list = this.nulls.get(name)
      if (!list) this.nulls.set(name, (list = []))
      list.push(i)
    }
  }

  /** The columns of the rows so far, as hyparquet-writer takes them. */
  columns(): Array<{ name: string; data: unknown[] | Float64Array | BigInt64Array; statistics: boolean }> {
    const n = this.n
    const cut = <T extends { subarray(a: number, b: number): T }>(a: T) => (n === this.size ? a : a.subarray(0, n))
    const data = (name: (typeof SAMPLE_COLUMNS)[number]): unknown[] | Float64Array | BigInt64Array => {
      if (name === 'time') return cut(this.time)
      if (name === 'seq') return cut(this.seq)
      if (name === 'client') return cut(this.client)
      if (name === 'deleted') return this.deleted.slice(0, n)
      if (name === 'visible') return this.visible.slice(0, n)
      if (name in this.strings) return this.strings[name as (typeof STRINGS)[number]].slice(0, n)
      const f = cut(this.floats[name as (typeof FLOATS)[number]])
      const missing = this.nulls.get(name)
      if (!missing) return f
      const withNulls: Array<number | null> = Array.from(f)
      for (const i of missing) withNulls[i] = null
      return withNulls
    }
    return SAMPLE_COLUMNS.map((name) => ({ name, data: data(name), statistics: STATISTICS.has(name) }))
  }

  reset(): void {
    this.n = 0
    this.nulls.clear()
    this.interned.clear()
  }
}

export async function writeParquet(samples: SampleStream, sink: ByteSink, opts: { rowGroupRows?: number } = {}): Promise<void> {
  const writer = new SinkWriter(sink)
  const pw = new ParquetWriter({ writer, schema: PARQUET_SCHEMA, createdBy: 'scenesync export' })
  const g = new RowGroup(opts.rowGroupRows ?? 65_536)
  const flushGroup = async () => {
    if (g.n === 0) return
    // hyparquet-writer copies what it keeps, so the buffers can be refilled once it is done.
    await pw.write({ columnData: g.columns() as Parameters<ParquetWriter['write']>[0]['columnData'], rowGroupSize: g.n })
    g.reset()
  }
  const room = samples.room
  const q: Quat = [1, 0, 0, 0]
  const str = g.strings
  for await (const page of samples.pages()) {
    for (const r of page) {
      const i = g.n
      const valid = sampleQuaternion(r, q) !== null
      g.time[i] = r.time
      g.seq[i] = BigInt(r.seq)
      g.client[i] = BigInt(r.client)
      g.deleted[i] = r.deleted === 1
      g.visible[i] = r.visible === null ? null : r.visible === 1
      str.room[i] = room
      str.object_id[i] = r.object_id
      str.object_name[i] = g.intern(r.name)
      str.bone[i] = r.bone
      str.user[i] = g.intern(r.user)
      str.parent_id[i] = g.intern(r.parent)
      str.rot_mode[i] = g.intern(r.rot_mode)
      g.setFloat('loc_x', i, r.loc_x)
      g.setFloat('loc_y', i, r.loc_y)
      g.setFloat('loc_z', i, r.loc_z)
      g.setFloat('rot_w', i, valid ? q[0] : null)
      g.setFloat('rot_x', i, valid ? q[1] : null)
      g.setFloat('rot_y', i, valid ? q[2] : null)
      g.setFloat('rot_z', i, valid ? q[3] : null)
      g.setFloat('scale_x', i, r.scale_x)
      g.setFloat('scale_y', i, r.scale_y)
      g.setFloat('scale_z', i, r.scale_z)
      if (++g.n === g.size) await flushGroup()
    }
    await samples.advance(page.length)
  }
  await flushGroup()
  await pw.finish()
}
