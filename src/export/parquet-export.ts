/**
 * Samples as Parquet, written with hyparquet-writer's incremental
 * ParquetWriter: one row group per `rowGroupRows` samples, flushed to the sink
 * as soon as it is encoded, so memory holds one row group (`[H2]`); the footer
 * (row group metadata, a few hundred bytes per group) is all that grows.
 *
 * Types: `time` is a UTC timestamp in milliseconds, `seq` and `client` INT64,
 * strings UTF-8 (dictionary-encoded where that pays), `deleted` and `visible`
 * booleans, the transform DOUBLE (the projection's REAL, exactly).
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import type { ByteSink } from './byte-sink.js'
import type { Quat } from './rotation.js'
import { SAMPLE_COLUMNS, sampleQuaternion } from './sample-columns.js'
import type { SampleStream } from './sample-stream.js'

// hyparquet-writer carries its own hyparquet; take the schema type from it.
type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number]

const FLOATS = ['loc_x', 'loc_y', 'loc_z', 'rot_w', 'rot_x', 'rot_y', 'rot_z', 'scale_x', 'scale_y', 'scale_z'] as const

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

type Columns = { [K in (typeof SAMPLE_COLUMNS)[number]]: unknown[] | BigInt64Array | Float64Array }

function emptyColumns(n: number): Columns {
  const c = {} as Columns
  for (const name of SAMPLE_COLUMNS) c[name] = name === 'seq' || name === 'client' ? new BigInt64Array(n) : name === 'time' ? new Float64Array(n) : new Array(n)
  return c
}

export async function writeParquet(samples: SampleStream, sink: ByteSink, opts: { rowGroupRows?: number } = {}): Promise<void> {
  const groupRows = opts.rowGroupRows ?? 65_536
  const writer = new SinkWriter(sink)
  const pw = new ParquetWriter({ writer, schema: PARQUET_SCHEMA, createdBy: 'scenesync export' })
  let cols = emptyColumns(groupRows)
  let n = 0
  const flushGroup = async () => {
    if (n === 0) return
    const columnData = SAMPLE_COLUMNS.map((name) => {
      const data = cols[name]
      return {
        name,
        data: (n === groupRows ? data : data.slice(0, n)) as unknown[],
        // Min/max of transform floats help no query and cost a pass per column.
        statistics: !(FLOATS as readonly string[]).includes(name),
      }
    })
    await pw.write({ columnData, rowGroupSize: n })
    cols = emptyColumns(groupRows)
    n = 0
  }
  const room = samples.room
  const scratch: Quat = [1, 0, 0, 0]
  for (const page of samples.pages()) {
    for (const r of page) {
      const q = sampleQuaternion(r, scratch)
      ;(cols.time as Float64Array)[n] = r.time
      ;(cols.seq as BigInt64Array)[n] = BigInt(r.seq)
      ;(cols.client as BigInt64Array)[n] = BigInt(r.client)
      const c = cols as Record<string, unknown[]>
      c.room![n] = room
      c.object_id![n] = r.object_id
      c.object_name![n] = r.name
      c.bone![n] = r.bone
      c.user![n] = r.user
      c.deleted![n] = r.deleted === 1
      c.parent_id![n] = r.parent
      c.visible![n] = r.visible === null ? null : r.visible === 1
      c.rot_mode![n] = r.rot_mode
      c.loc_x![n] = r.loc_x
      c.loc_y![n] = r.loc_y
      c.loc_z![n] = r.loc_z
      c.rot_w![n] = q ? q[0] : null
      c.rot_x![n] = q ? q[1] : null
      c.rot_y![n] = q ? q[2] : null
      c.rot_z![n] = q ? q[3] : null
      c.scale_x![n] = r.scale_x
      c.scale_y![n] = r.scale_y
      c.scale_z![n] = r.scale_z
      if (++n === groupRows) await flushGroup()
    }
    await samples.advance(page.length)
  }
  await flushGroup()
  await pw.finish()
}
