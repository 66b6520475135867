/**
 * `scenesync query` and `scenesync export` over a recorded data folder, times
 * shown in UTC: the tables through the command's own entry function, and the
 * exit codes, stdout and files through the real CLI in a child process.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../src/cli/args.js'
import { ProgressLine } from '../../src/cli/progress-line.js'
import { runQuery } from '../../src/cli/query.js'
import { runExport } from '../../src/cli/export.js'
import { ROOT, cliArgs } from '../helpers/spawn-server.js'
import { IDS, ROOM, record } from '../helpers/recording.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

let dir: string

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, cliArgs(...args), { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, TZ: 'UTC', SCENESYNC_DATA: dir } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** `scenesync query ...` in this process: what it prints, and its notes on stderr. */
function q(...args: string[]): { stdout: string; notes: string } {
  let stdout = ''
  let notes = ''
  runQuery([...args, '--data', dir], (s) => (stdout += s + '\n'), (s) => (notes += s + '\n'))
  return { stdout, notes }
}

function usage(...args: string[]): string {
  try {
    q(...args)
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError)
    return (e as Error).message
  }
  throw new Error(`no usage error for ${args.join(' ')}`)
}

describe('scenesync query and export', () => {
  const tz = process.env.TZ
  let seqOf: Record<string, number>

  beforeAll(async () => {
    // Local times in the tables: make this process's local zone UTC (child processes get TZ=UTC too).
    process.env.TZ = 'UTC'
    dir = tmpDir()
    const rec = await record(dir)
    seqOf = rec.seqOf
    await rec.close()
  })
  afterAll(() => {
    if (tz === undefined) delete process.env.TZ
    else process.env.TZ = tz
    rmTmp(dir)
  })

  it('query path prints a table: name and id, local times, location, rotation in its own mode, scale', () => {
    const r = q('path', '--room', ROOM, '--object', 'Suzanne')
    const [head, columns, ...rows] = r.stdout.trimEnd().split('\n')
    expect(head).toBe(`Suzanne  ${IDS.suzanne} in room studio: 6 changes and 0 bone changes from #0 (the start) to #14 (2026-11-24 10:00:05.000) (times are UTC+00:00)`)
    expect(columns!.split(/\s{2,}/)).toEqual(['seq', 'time', 'user', 'what', 'location', 'rotation', 'scale'])
    expect(rows[0]!.split(/\s{2,}/)).toEqual(['#1', '2026-11-24 10:00:00.000', 'ann', 'created', '1, 2, 3', 'XYZ 5.7296°, 11.4592°, 17.1887°', '1, 1, 1'])
    expect(rows[2]!.split(/\s{2,}/)).toEqual(['#3', '2026-11-24 10:00:01.000', 'bob', 'rotation_mode, rotation', '2, 2, 3', 'ZYX 22.9183°, -28.6479°, 68.7549°', '1, 1, 1'])
    expect(rows[4]!.split(/\s{2,}/)).toEqual(['#9', '2026-11-24 10:00:03.000', 'ann', 'scale', '2.5, 2, 3', 'ZYX 22.9183°, -28.6479°, 68.7549°', '2, 2, 2'])
  })

  it('query scene prints every object with its id, parent by name and transform, and each armature\'s bones under it', () => {
    const [head, columns, ...rows] = q('scene', '--room', ROOM, '--at', String(seqOf.both)).stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/))
    expect(head!.join('  ')).toBe('room studio at #9 (2026-11-24 10:00:03.000): 6 objects (times are UTC+00:00)')
    expect(columns).toEqual(['object', 'id', 'type', 'parent', 'location', 'rotation', 'scale', 'visible', 'changed'])
    expect(rows).toContainEqual(['Hinge', IDS.hinge, 'EMPTY', 'Pivot', '0, 1, 0.5', '71.6197° about (0, 3, 4)', '1, 1, 1', 'yes', '#6'])
    const rig = rows.findIndex((r) => r[0] === 'Rig')
    expect(rows.slice(rig + 1, rig + 3)).toEqual([
      ['bone hand.L', '0, 0.25, 0', 'YZX 17.1887°, 11.4592°, 5.7296°', '1, 1, 1'],
      ['bone root', '0, 0, 0', 'quat 0.9, 0.1, 0.3, 0.2', '1, 1.5, 1'],
    ])
    expect(JSON.parse(q('scene', '--room', ROOM, '--at', String(seqOf.both), '--json').stdout).objects).toHaveLength(6)
  })

  it('query path shows pose bone changes in the same table, and quaternions and axis-angles as Blender shows them', () => {
    const rig = q('path', '--room', ROOM, '--object', 'Rig', '--from', String(seqOf.pose), '--to', String(seqOf.pose2))
    const lines = rig.stdout.split('\n').map((l) => l.split(/\s{2,}/))
    expect(lines.find((l) => l[3] === 'pose.root')).toEqual(['#7', '2026-11-24 10:00:02.000', 'ann', 'pose.root', '0, 0, 0', 'quat 0.9, 0.1, 0.3, 0.2', '1, 1.5, 1'])
    expect(lines.filter((l) => l[3] === 'pose.hand.L').map((l) => l[0])).toEqual(['#7', '#11'])
    const hinge = q('path', '--room', ROOM, '--object', IDS.hinge)
    expect(hinge.stdout).toContain('71.6197° about (0, 3, 4)')
    expect(hinge.stdout.trimEnd().split('\n').at(-1)!.split(/\s{2,}/).slice(0, 4)).toEqual(['#12', '2026-11-24 10:00:04.000', 'ann', 'deleted'])
  })

  it('names are accepted where ids are: a former name resolves with a note; an ambiguous name lists its matches, an unknown name or room is a usage error', () => {
    const former = q('path', '--room', ROOM, '--object', 'Cone', '--json')
    expect(JSON.parse(former.stdout)).toMatchObject({ object: IDS.cone, name: 'Spike' })
    expect(former.notes).toContain(`"Cone" is a former name of "Spike", ${IDS.cone}`)
    const deleted = q('path', '--room', ROOM, '--object', 'Hinge')
    expect(deleted.notes).toContain(`"Hinge" is the last name of a deleted object, ${IDS.hinge}`)
    const twin = usage('path', '--room', ROOM, '--object', 'Twin')
    expect(twin).toContain('2 objects in room "studio" are named "Twin"; pass an id:')
    expect(twin).toContain(IDS.twinA)
    expect(twin).toContain(IDS.twinB)
    expect(usage('changes', '--room', ROOM, '--object', 'Twin')).toContain('are named "Twin"')
    expect(usage('path', '--room', ROOM, '--object', 'suz')).toContain(`no object "suz" (by id or name) in room "studio"; did you mean "Suzanne" (${IDS.suzanne})?`)
    expect(usage('changes', '--room', 'stduio')).toContain('no room "stduio" in the projection (rooms: studio)')
    expect(usage('scene', '--room', 'nowhere')).toContain('no room "nowhere"')
    expect(usage('path', '--room', ROOM)).toContain('--object is required')
  })

  it('through the real command: an ambiguous name and an unknown room exit 2 with the message on stderr', () => {
    const twin = cli('query', 'path', '--room', ROOM, '--object', 'Twin')
    expect(twin.code).toBe(2)
    expect(twin.stderr).toContain(IDS.twinB)
    const room = cli('query', 'diff', '--room', 'nowhere')
    expect(room.code).toBe(2)
    expect(room.stderr).toMatch(/^scenesync: no room "nowhere" in the projection/)
    expect(room.stdout).toBe('')
  })

  it('query changes: who changed what, by name, bone changes included; --object narrows it; --json has the names too', () => {
    const r = q('changes', '--room', ROOM, '--from', String(seqOf.pose), '--to', String(seqOf.rename))
    const rows = r.stdout.trimEnd().split('\n').slice(2).map((l) => l.split(/\s{2,}/))
    expect(rows).toEqual([
      ['#7', '2026-11-24 10:00:02.000', 'ann', 'Rig', IDS.rig, 'pose.hand.L'],
      ['#7', '2026-11-24 10:00:02.000', 'ann', 'Rig', IDS.rig, 'pose.root'],
      ['#8', '2026-11-24 10:00:02.500', 'bob', 'Cone', IDS.cone, 'created'],
      ['#9', '2026-11-24 10:00:03.000', 'ann', 'Suzanne', IDS.suzanne, 'scale'],
      ['#9', '2026-11-24 10:00:03.000', 'ann', 'Cone', IDS.cone, 'location'],
      ['#10', '2026-11-24 10:00:03.500', 'bob', 'Spike', IDS.cone, 'name'],
    ])
    const one = JSON.parse(q('changes', '--room', ROOM, '--object', 'Spike', '--json').stdout) as { changes: Array<{ name: string; what: string[] }> }
    expect(one.changes.map((c) => [c.name, c.what.join()])).toEqual([
      ['Cone', 'created'],
      ['Cone', 'location'],
      ['Spike', 'name'],
    ])
  })

  it('query diff: added, removed and each changed channel before and after', () => {
    const r = q('diff', '--room', ROOM, '--from', String(seqOf.hinge), '--to', String(seqOf.delete))
    const rows = r.stdout.trimEnd().split('\n').slice(2).map((l) => l.trim().split(/\s{2,}/))
    expect(r.stdout.split('\n')[0]).toBe('room studio from #6 (2026-11-24 10:00:01.500) to #12 (2026-11-24 10:00:04.000): 1 added, 1 removed, 2 changed')
    expect(rows).toContainEqual(['added', 'Spike', IDS.cone, 'at -1, 0, 2'])
    expect(rows).toContainEqual(['removed', 'Hinge', IDS.hinge, 'at 0, 1, 0.5'])
    expect(rows).toContainEqual(['changed', 'Suzanne', IDS.suzanne, 'scale', '1, 1, 1', '2, 2, 2'])
    expect(rows, r.stdout).toContainEqual(['changed', 'Rig', IDS.rig, 'pose.hand.L location', '0, 0, 0', '0, 0.5, 0'])
    expect(rows, r.stdout).toContainEqual(['pose.root scale', '1, 1, 1', '1, 1.5, 1'])
  })

  it('--help works on every subcommand (its own usage, exit 0 through the real command)', () => {
    for (const sub of ['scene', 'path', 'diff', 'changes']) {
      expect(q(sub, '--help').stdout.startsWith(`scenesync query ${sub} --room R`), sub).toBe(true)
      expect(q(sub, '--room', ROOM, '-h').stdout.startsWith(`scenesync query ${sub} --room R`), sub).toBe(true)
    }
    expect(q('--help').stdout).toContain('scenesync query <subcommand> --help')
    expect(usage('path', '--room', ROOM, '--objcet', 'x')).toMatch(/^unknown flag --objcet \(did you mean --object\?\)\n\nscenesync query path/)
    const path = cli('query', 'path', '--help')
    expect([path.code, path.stdout.split('\n')[0]]).toEqual([0, 'scenesync query path --room R --object ID|NAME [--from SEQ|TIME] [--to SEQ|TIME] [--json] [--data DIR]'])
    const ex = cli('export', '--help')
    expect(ex.code).toBe(0)
    expect(ex.stdout).toContain('--format gltf|csv|parquet --out FILE')
  })

  /** `scenesync export ...` in this process: what it reports on stderr (or the usage error). */
  const exportHere = async (...args: string[]): Promise<string> => {
    let err = ''
    const stderr = { write: (t: string) => (err += t), isTTY: false } as unknown as NodeJS.WriteStream
    await runExport([...args, '--data', dir], process.stdout, stderr)
    return err
  }

  it('export writes each format to a file and reports what it wrote; Parquet reads back in DuckDB', async () => {
    const csv = path.join(dir, 'out.csv')
    const said = await exportHere('--room', ROOM, '--format', 'csv', '--out', csv, '--from', String(seqOf.move))
    // A progress bar may come first (past a second); the report is the last line.
    expect(said.split('\n').at(-2)! + '\n').toMatch(/^exported 16 samples of room studio, #2\.\.#14 \(2026-11-24 10:00:00\.500 to 2026-11-24 10:00:05\.000\), as csv to .*out\.csv, 0\.0 MB in \d+\.\d s\n$/)
    expect(fs.readFileSync(csv, 'utf8').split('\r\n')).toHaveLength(16 + 2)
    const pq = path.join(dir, 'out.parquet')
    await exportHere('--room', ROOM, '--format', 'parquet', '--out', pq)
    const duck = await DuckDBInstance.create(':memory:')
    const conn = await duck.connect()
    try {
      const n = (await conn.runAndReadAll(`SELECT count(*) AS n, count(bone) AS bones FROM read_parquet('${pq}')`)).getRowObjectsJS()[0]!
      expect([n.n, n.bones]).toEqual([23n, 5n])
    } finally {
      conn.closeSync()
      duck.closeSync()
    }
    const glb = path.join(dir, 'out.glb')
    await exportHere('--room', ROOM, '--format', 'gltf', '--fps', '30', '--interpolation', 'linear', '--out', glb)
    expect(fs.readFileSync(glb).subarray(0, 4).toString()).toBe('glTF')
  })

  it('export refuses bad input with a usage error naming it, and leaves no file behind', async () => {
    const out = path.join(dir, 'never.glb')
    const cases: Array<[string[], RegExp]> = [
      [['--format', 'fbx'], /--format must be one of gltf, csv, parquet, got "fbx"/],
      [['--format', 'gltf', '--fps', '-3'], /--fps must be a number above 0/],
      [['--format', 'csv', '--fps', '30'], /fps and interpolation apply to the gltf format only/],
      [['--format', 'gltf', '--room', 'nowhere'], /no room "nowhere"/],
      [['--format', 'gltf', '--from', 'soon'], /--from must be a log position/],
      [['--format', 'gltf', '--interpolation', 'cubic'], /--interpolation must be step or linear/],
    ]
    for (const [extra, message] of cases) {
      await expect(exportHere('--room', ROOM, '--out', out, ...extra), extra.join(' ')).rejects.toThrow(message)
      await expect(exportHere('--room', ROOM, '--out', out, ...extra)).rejects.toBeInstanceOf(UsageError)
      expect(fs.existsSync(out)).toBe(false)
      expect(fs.existsSync(`${out}.partial`)).toBe(false)
    }
    await expect(exportHere('--room', ROOM, '--format', 'csv')).rejects.toThrow(/--out is required/)
  })

  it('through the real command: export to stdout gives the same bytes as to a file; a bad format exits 2', () => {
    const file = path.join(dir, 'same.csv')
    expect(cli('export', '--room', ROOM, '--format', 'csv', '--out', file).code).toBe(0)
    const piped = cli('export', '--room', ROOM, '--format', 'csv', '--out', '-')
    expect(piped.code).toBe(0)
    expect(piped.stdout).toBe(fs.readFileSync(file, 'utf8'))
    expect(piped.stderr.trimEnd().split('\n').at(-1)).toMatch(/^exported 23 samples .* to stdout in/)
    const bad = cli('export', '--room', ROOM, '--format', 'obj', '--out', file)
    expect([bad.code, bad.stderr]).toEqual([2, 'scenesync: --format must be one of gltf, csv, parquet, got "obj"\n'])
  })

  it('[H2] the progress bar waits a second, then shows done/total and the rate', () => {
    const lines: string[] = []
    const sink = { write: (s: string) => lines.push(s), isTTY: false } as unknown as NodeJS.WritableStream
    const quiet = new ProgressLine(sink, 'samples')
    quiet.update(10, 100)
    expect(lines).toEqual([]) // under a second: nothing
    const shown = new ProgressLine(sink, 'samples', 0)
    shown.update(250_000, 1_000_000)
    expect(lines[0]).toMatch(/^\[#{8}\.{22}\] 25\.0% 250,000\/1,000,000 samples \([\d,]+ samples\/s\)\n$/)
  })
})
