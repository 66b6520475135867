/**
 * Samples as CSV (RFC 4180, UTF-8, a header line): written a page at a time,
 * so memory holds one page whatever the range (`[H2]`). Times are ISO 8601 in
 * UTC with milliseconds; numbers are JavaScript's shortest exact form; an
 * empty field is a missing value.
 */
import type { SampleRow } from '../projection/sample-pages.js'
import type { ByteSink } from './byte-sink.js'
import type { Quat } from './rotation.js'
import { SAMPLE_COLUMNS, sampleQuaternion } from './sample-columns.js'
import type { SampleStream } from './sample-stream.js'

function text(s: string | null): string {
  if (s === null) return ''
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s
}

function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '' : String(n)
}

const scratch: Quat = [1, 0, 0, 0]

export function csvLine(room: string, r: SampleRow): string {
  const q = sampleQuaternion(r, scratch)
  return [
    new Date(r.time).toISOString(),
    r.seq,
    text(room),
    text(r.object_id),
    text(r.name),
    text(r.bone),
    text(r.user),
    r.client,
    r.deleted === 1,
    text(r.parent),
    r.visible === null ? '' : r.visible === 1,
    text(r.rot_mode),
    num(r.loc_x),
    num(r.loc_y),
    num(r.loc_z),
    num(q?.[0]),
    num(q?.[1]),
    num(q?.[2]),
    num(q?.[3]),
    num(r.scale_x),
    num(r.scale_y),
    num(r.scale_z),
  ].join(',')
}

export async function writeCsv(samples: SampleStream, sink: ByteSink): Promise<void> {
  const enc = new TextEncoder()
  await sink.write(enc.encode(SAMPLE_COLUMNS.join(',') + '\r\n'))
  for await (const page of samples.pages()) {
    let out = ''
    for (const r of page) out += csvLine(samples.room, r) + '\r\n'
    await sink.write(enc.encode(out))
    await samples.advance(page.length)
  }
}
