/**
 * `src/export`'s entry point: a room's time range as a glTF, CSV or Parquet
 * file, written to a sink (a file for the CLI, the response for HTTP). The
 * range is read the way `query path` reads it: positions (or times) from and
 * to, both included, the whole history by default.
 */
import type { At, TimeTravel } from '../projection/time-travel.js'
import type { ByteSink } from './byte-sink.js'
import { writeCsv } from './csv-export.js'
import type { GeometrySource } from './geometry-source.js'
import { type Interpolation, writeGltf } from './gltf-export.js'
import { writeParquet } from './parquet-export.js'
import { SampleStream, type StreamOptions } from './sample-stream.js'

export const EXPORT_FORMATS = ['gltf', 'csv', 'parquet'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export const FORMAT_FILES: Record<ExportFormat, { extension: string; contentType: string }> = {
  gltf: { extension: 'glb', contentType: 'model/gltf-binary' },
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  parquet: { extension: 'parquet', contentType: 'application/vnd.apache.parquet' },
}

/** A request the export cannot carry out as asked (bad format or option). */
export class ExportError extends Error {
  readonly code = 'bad_export'
}

export interface ExportRequest {
  room: string
  from?: At
  to?: At
  format: ExportFormat
  /** glTF: keys at a fixed rate (per second) instead of at the log's times. */
  fps?: number
  /** glTF: STEP (default, exact) or LINEAR. */
  interpolation?: Interpolation
  /** glTF: meshes for the nodes, where the log has geometry. */
  geometry?: GeometrySource
  /** Parquet: rows per row group (smaller groups hold the event loop for less time per group). */
  rowGroupRows?: number
}

export interface ExportSummary {
  room: string
  format: ExportFormat
  /** Positions covered, inclusive. */
  from: number
  to: number
  /** Wall-clock ms of the range's start and end (the glTF animation's 0 and its end). */
  startTime: number
  endTime: number
  samples: number
}

export function parseFormat(raw: string | null | undefined): ExportFormat {
  if (raw && (EXPORT_FORMATS as readonly string[]).includes(raw.toLowerCase())) return raw.toLowerCase() as ExportFormat
  throw new ExportError(`format must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(raw ?? null)}`)
}

export function parseInterpolation(raw: string | null | undefined): Interpolation | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined
  const v = raw.toUpperCase()
  if (v === 'STEP' || v === 'LINEAR') return v
  throw new ExportError(`interpolation must be step or linear, got ${JSON.stringify(raw)}`)
}

export function parseFps(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0 || n > 1000) throw new ExportError(`fps must be a number above 0 and at most 1000, got ${JSON.stringify(raw)}`)
  return n
}

/** The range an export covers, resolved (LookupError for an unknown room). */
export function exportSpan(tt: TimeTravel, req: Pick<ExportRequest, 'room' | 'from' | 'to'>): Omit<ExportSummary, 'format' | 'samples'> {
  const span = tt.entrySpan(req.room, req.from, req.to)
  const startTime = req.from && 'time' in req.from ? req.from.time : (span.first?.time ?? 0)
  const endTime = req.to && 'time' in req.to ? req.to.time : (span.last?.time ?? startTime)
  return { room: req.room, from: span.from, to: span.to, startTime, endTime: Math.max(startTime, endTime) }
}

export async function exportRange(tt: TimeTravel, req: ExportRequest, sink: ByteSink, opts: StreamOptions = {}): Promise<ExportSummary> {
  if (req.format !== 'gltf' && (req.fps !== undefined || req.interpolation !== undefined)) {
    throw new ExportError('fps and interpolation apply to the gltf format only')
  }
  const span = exportSpan(tt, req)
  const samples = new SampleStream(tt, req.room, span.from, span.to, opts)
  if (req.format === 'csv') await writeCsv(samples, sink)
  else if (req.format === 'parquet') await writeParquet(samples, sink, req.rowGroupRows ? { rowGroupRows: req.rowGroupRows } : {})
  else
    await writeGltf(samples, sink, span, {
      ...(req.fps !== undefined ? { fps: req.fps } : {}),
      ...(req.interpolation ? { interpolation: req.interpolation } : {}),
      ...(req.geometry ? { geometry: req.geometry } : {}),
    })
  return { ...span, format: req.format, samples: samples.total }
}
