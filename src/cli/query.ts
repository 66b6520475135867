/**
 * `scenesync query scene|path|diff|changes`: time-travel reads of the
 * projection, as tables people read (names next to ids, local times, every
 * transform channel, bone changes) or as JSON with `--json`. Objects may be
 * named by id or by name. Opens the projection read-only, so it runs beside a
 * server. An unknown room or object is a usage error (exit 2), not an empty
 * answer.
 */
import fs from 'node:fs'
import { Command, Option } from 'commander'
import { LookupError } from '../projection/object-lookup.js'
import { openDatabase } from '../projection/sql.js'
import { type At, type SceneObject, TimeTravel } from '../projection/time-travel.js'
import { UsageError, parseAt } from './args.js'
import { epilog, prepare, required, runSync } from './command-line.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'
import { localTime, named, renderTable, rotationText, vec, xformCells, zoneName } from './table.js'

const POINT = 'A point of history is a log position (digits) or a date/time such as 2026-11-24T10:00:00Z.'

interface QueryFlags {
  room: string
  json?: boolean
  data: string
  at?: string
  from?: string
  to?: string
  object?: string
}

type Sub = 'scene' | 'path' | 'diff' | 'changes'

const SUBCOMMANDS: Record<Sub, { usage: string; summary: string; description: string; flags: (c: Command) => Command }> = {
  scene: {
    usage: '--room R [--at SEQ|TIME] [--json] [--data DIR]',
    summary: 'the scene now, or --at SEQ|TIME',
    description: "The scene now, or as it was at a point of history: every object with its type, parent, location, rotation and scale, and each armature's pose bones.",
    flags: (c) => c.option('--at <seq|time>', 'the point of history (default: now)'),
  },
  path: {
    usage: '--room R --object ID|NAME [--from SEQ|TIME] [--to SEQ|TIME] [--json] [--data DIR]',
    summary: "one object's changes: --object ID|NAME [--from SEQ|TIME] [--to SEQ|TIME]",
    description: "One object's changes over a range, its pose bones' too: who changed what, when, and the values after each change.",
    flags: (c) =>
      c
        .addOption(required(new Option('--object <id|name>', "the object's id or its name; a name several objects have is an error that lists them (pass the id then)")))
        .option('--from <seq|time>', 'the start of the range, included (default: the start of history)')
        .option('--to <seq|time>', 'the end of the range, included (default: now)'),
  },
  diff: {
    usage: '--room R [--from SEQ|TIME] [--to SEQ|TIME] [--json] [--data DIR]',
    summary: 'what differs between --from and --to (default: start and now)',
    description: 'What differs between two points: objects added and removed, and each changed field (location, rotation, scale, name, parent, visibility, pose bones) before and after.',
    flags: (c) => c.option('--from <seq|time>', 'the first point (default: the start of history)').option('--to <seq|time>', 'the second point (default: now)'),
  },
  changes: {
    usage: '--room R [--from SEQ|TIME] [--to SEQ|TIME] [--object ID|NAME] [--json] [--data DIR]',
    summary: 'who changed what, when: [--from] [--to] [--object]',
    description: 'Who changed what, when: one line per object changed by each log entry.',
    flags: (c) =>
      c
        .option('--from <seq|time>', 'the start of the range, included (default: the start of history)')
        .option('--to <seq|time>', 'the end of the range, included (default: now)')
        .option('--object <id|name>', "only this object's changes"),
  },
}

function at(raw: string | undefined, name: string): At | undefined {
  return raw === undefined ? undefined : parseAt(raw, name)
}

export function queryCommand(out: (s: string) => void, note: (s: string) => void = (s) => process.stderr.write(s + '\n')): Command {
  const query = new Command('query')
    .summary('time-travel reads of the projection')
    .description('Time-travel reads of the projection, as tables or JSON. Opens the projection read-only, so it runs beside a server.')
    .usage('<scene|path|diff|changes> --room R [options] [--json] [--data DIR]')
  for (const what of Object.keys(SUBCOMMANDS) as Sub[]) {
    const s = SUBCOMMANDS[what]
    const sub = s
      .flags(new Command(what).summary(s.summary).description(s.description).usage(s.usage).addOption(required(new Option('--room <room>', 'the room'))))
      .option('--json', 'JSON instead of a table')
      .addOption(new Option('--data <dir>', 'the data folder').env('SCENESYNC_DATA').default(DEFAULT_DATA))
      .action((f: QueryFlags) => runOne(what, f, out, note))
    query.addCommand(epilog(sub, POINT))
  }
  return epilog(query, `${POINT}\nscenesync query <subcommand> --help   explains one`)
}

/** `scenesync query ...` with its words after `query`; prints through `out` (help too), notes through `note`. */
export function runQuery(argv: readonly string[], out: (s: string) => void, note?: (s: string) => void): void {
  const root = prepare(new Command('scenesync').addCommand(queryCommand(out, note)), { out: (s) => out(s.replace(/\n$/, '')) })
  runSync(root, ['query', ...argv])
}

function runOne(what: Sub, f: QueryFlags, out: (s: string) => void, note: (s: string) => void): void {
  const file = projectionFile(f.data)
  if (!fs.existsSync(file)) throw new UsageError(`no projection at ${file}: start the server (npm start) or run \`scenesync project --rebuild\``)
  const db = openDatabase(file, { readonly: true })
  try {
    const tt = new TimeTravel(db)
    const q = new Query(tt, f.room, f.json === true, out, note)
    try {
      tt.requireRoom(f.room)
      if (what === 'scene') q.scene(at(f.at, 'at'))
      else if (what === 'path') q.path(f.object!, at(f.from, 'from'), at(f.to, 'to'))
      else if (what === 'diff') q.diff(at(f.from, 'from'), at(f.to, 'to'))
      else q.changes(at(f.from, 'from'), at(f.to, 'to'), f.object)
    } catch (e) {
      if (e instanceof LookupError) throw new UsageError(e.message)
      throw e
    }
  } finally {
    db.close()
  }
}

class Query {
  constructor(
    private readonly tt: TimeTravel,
    private readonly room: string,
    private readonly json: boolean,
    private readonly out: (s: string) => void,
    private readonly note: (s: string) => void,
  ) {}

  private point(seq: number): string {
    if (seq === 0) return '#0 (the start)'
    const t = this.tt.timeOf(seq)
    return t === undefined ? `#${seq}` : `#${seq} (${localTime(t)})`
  }

  private object(ref: string): { id: string; name: string | null } {
    const o = this.tt.resolveObject(this.room, ref)
    if (o.by === 'last-name') this.note(`note: ${JSON.stringify(ref)} is the last name of a deleted object, ${o.id}`)
    if (o.by === 'former-name') this.note(`note: ${JSON.stringify(ref)} is a former name of ${JSON.stringify(o.name)}, ${o.id}`)
    return o
  }

  scene(a: At | undefined): void {
    const seq = this.tt.resolve(a)
    const objects = this.tt.sceneAt(this.room, a)
    if (this.json) return this.out(JSON.stringify({ room: this.room, at: seq, objects }))
    const names = new Map(objects.map((o) => [o.id, o.name]))
    const rows: string[][] = []
    for (const o of objects) {
      const c = xformCells(o.xform)
      rows.push([o.name ?? '(unnamed)', o.id, o.type ?? '?', o.parent ? (names.get(o.parent) ?? o.parent) : '-', c.location, c.rotation, c.scale, o.visible ? 'yes' : 'no', `#${o.seq}`])
      for (const [bone, x] of Object.entries(o.pose)) {
        const b = xformCells(x)
        rows.push([`  bone ${bone}`, '', '', '', b.location, b.rotation, b.scale, '', ''])
      }
    }
    this.out(`room ${this.room} at ${this.point(seq)}: ${plural(objects.length, 'object')} (times are ${zoneName()})`)
    this.out(renderTable(['object', 'id', 'type', 'parent', 'location', 'rotation', 'scale', 'visible', 'changed'], rows))
  }

  path(ref: string, from: At | undefined, to: At | undefined): void {
    const o = this.object(ref)
    const points = this.tt.objectPath(this.room, o.id, from, to)
    const bones = this.tt.bonePath(this.room, o.id, from, to)
    const span = this.tt.span(from, to)
    if (this.json) return this.out(JSON.stringify({ room: this.room, object: o.id, name: o.name, from: span.from, to: span.to, points, bones }))
    const rows: Array<[number, number, string[]]> = []
    for (const pt of points) {
      const c = xformCells(pt.xform)
      const what = pt.what.map((w) => (w === 'name' ? `name → ${JSON.stringify(pt.name)}` : w === 'parent' ? `parent → ${pt.parent ? (this.tt.nameAt(this.room, pt.parent, pt.seq) ?? pt.parent) : 'none'}` : w))
      rows.push([pt.seq, 0, [`#${pt.seq}`, localTime(pt.time), pt.user, what.join(', '), c.location, c.rotation, c.scale]])
    }
    for (const b of bones) {
      const c = xformCells(b.xform)
      rows.push([b.seq, 1, [`#${b.seq}`, localTime(b.time), b.user, `pose.${b.bone}${b.deleted ? ' removed' : ''}`, c.location, c.rotation, c.scale]])
    }
    rows.sort((x, y) => x[0] - y[0] || x[1] - y[1])
    this.out(`${named(o.name, o.id)} in room ${this.room}: ${plural(points.length, 'change')} and ${plural(bones.length, 'bone change')} from ${this.point(span.from)} to ${this.point(span.to)} (times are ${zoneName()})`)
    this.out(renderTable(['seq', 'time', 'user', 'what', 'location', 'rotation', 'scale'], rows.map((r) => r[2])))
  }

  diff(from: At | undefined, to: At | undefined): void {
    const d = this.tt.diff(this.room, from ?? { seq: 0 }, to ?? { seq: this.tt.head() })
    if (this.json) return this.out(JSON.stringify(d))
    const rows: string[][] = []
    const show = (o: SceneObject) => (o.xform ? `at ${vec(o.xform.location)}` : '')
    for (const o of d.added) rows.push(['added', o.name ?? '(unnamed)', o.id, '', '', show(o)])
    for (const o of d.removed) rows.push(['removed', o.name ?? '(unnamed)', o.id, '', show(o), ''])
    for (const c of d.changed) {
      const name = this.tt.nameAt(this.room, c.id, d.to)
      let first = true
      for (const f of c.changes) {
        for (const [field, before, after] of fieldRows(f.field, f.before, f.after, (id) => this.tt.nameAt(this.room, id, d.to) ?? id)) {
          rows.push([first ? 'changed' : '', first ? (name ?? '(unnamed)') : '', first ? c.id : '', field, before, after])
          first = false
        }
      }
    }
    this.out(`room ${this.room} from ${this.point(d.from)} to ${this.point(d.to)}: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`)
    this.out(renderTable(['', 'object', 'id', 'field', 'before', 'after'], rows))
  }

  changes(from: At | undefined, to: At | undefined, ref: string | undefined): void {
    const only = ref === undefined ? null : this.object(ref).id
    const changes = this.tt.changes(this.room, from, to).filter((c) => only === null || c.objectId === only)
    const withNames = changes.map((c) => ({ ...c, name: this.tt.nameAt(this.room, c.objectId, c.seq) }))
    if (this.json) return this.out(JSON.stringify({ room: this.room, changes: withNames }))
    const span = this.tt.span(from, to)
    this.out(`room ${this.room}: ${plural(changes.length, 'change')} from ${this.point(span.from)} to ${this.point(span.to)} (times are ${zoneName()})`)
    this.out(renderTable(['seq', 'time', 'user', 'object', 'id', 'what'], withNames.map((c) => [`#${c.seq}`, localTime(c.time), c.user, c.name ?? '(unnamed)', c.objectId, c.what.join(', ')])))
  }
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`

/** One diff field as table rows: a transform splits into its channels. */
function fieldRows(field: string, before: unknown, after: unknown, nameOf: (id: string) => string): Array<[string, string, string]> {
  if (field === 'xform' || field.startsWith('pose.')) {
    const a = xformCells(before as never)
    const b = xformCells(after as never)
    const prefix = field === 'xform' ? '' : `${field} `
    const out: Array<[string, string, string]> = []
    if (!before || !after) return [[field === 'xform' ? 'transform' : field, before ? `${a.location} | ${a.rotation} | ${a.scale}` : 'none', after ? `${b.location} | ${b.rotation} | ${b.scale}` : 'none']]
    for (const k of ['location', 'rotation', 'scale'] as const) if (a[k] !== b[k]) out.push([`${prefix}${k}`, a[k], b[k]])
    if (out.length === 0) out.push([`${prefix}rotation`, rotationText(before as never), rotationText(after as never)])
    return out
  }
  const text = (v: unknown) => (v === null || v === undefined ? 'none' : field === 'parent' ? nameOf(String(v)) : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v))
  return [[field, text(before), text(after)]]
}
