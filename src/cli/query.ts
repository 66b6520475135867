/**
 * `scenesync query scene|path|diff|changes`: time-travel reads of the
 * projection. Opens the projection read-only, so it runs beside a server.
 */
import fs from 'node:fs'
import { openDatabase } from '../projection/sql.js'
import { type At, type SceneObject, TimeTravel } from '../projection/time-travel.js'
import { type Parsed, UsageError, flag, parseArgs, parseAt } from './args.js'
import { DEFAULT_DATA, projectionFile } from './data-folder.js'

export const QUERY_HELP = `scenesync query <scene|path|diff|changes> --room R [options] [--json] [--data DIR]
  scene    the scene now, or --at SEQ|TIME
  path     one object's changes: --object ID [--from SEQ|TIME] [--to SEQ|TIME]
  diff     what differs between --from and --to (default: start and now)
  changes  who changed what, when: [--from] [--to]`

function at(p: Parsed, name: string): At | undefined {
  const raw = p.flags.get(name)
  return raw === undefined ? undefined : parseAt(raw, name)
}

function fmt(n: number | undefined): string {
  return n === undefined ? '' : (Math.round(n * 1000) / 1000).toString()
}

function sceneTable(objects: SceneObject[]): string {
  const lines = ['id                                    name                 type       location                     seq']
  for (const o of objects) {
    const loc = o.xform ? o.xform.location.map(fmt).join(', ') : '-'
    lines.push(`${o.id.padEnd(37)} ${(o.name ?? '?').padEnd(20)} ${(o.type ?? '?').padEnd(10)} ${loc.padEnd(28)} ${o.seq}`)
  }
  return lines.join('\n')
}

export function runQuery(argv: readonly string[], out: (s: string) => void): void {
  const p = parseArgs(argv, { values: ['room', 'at', 'from', 'to', 'object', 'data'], booleans: ['json'] })
  const [what] = p.positional
  const room = p.flags.get('room')
  if (!what || !['scene', 'path', 'diff', 'changes'].includes(what)) throw new UsageError(QUERY_HELP)
  if (!room) throw new UsageError('--room is required')
  const file = projectionFile(flag(p, 'data', 'SCENESYNC_DATA', DEFAULT_DATA))
  if (!fs.existsSync(file)) throw new UsageError(`no projection at ${file}: start the server (npm start) or run \`scenesync project --rebuild\``)
  const db = openDatabase(file, { readonly: true })
  try {
    const tt = new TimeTravel(db)
    const json = p.bools.has('json')
    let result: unknown
    switch (what) {
      case 'scene': {
        const a = at(p, 'at')
        const objects = tt.sceneAt(room, a)
        result = { room, at: tt.resolve(a), objects }
        if (!json) return out(sceneTable(objects))
        break
      }
      case 'path': {
        const id = p.flags.get('object')
        if (!id) throw new UsageError('--object is required for path')
        result = { room, object: id, points: tt.path(room, id, at(p, 'from'), at(p, 'to')) }
        break
      }
      case 'diff':
        result = tt.diff(room, at(p, 'from') ?? { seq: 0 }, at(p, 'to') ?? { seq: tt.head() })
        break
      case 'changes':
        result = { room, changes: tt.changes(room, at(p, 'from'), at(p, 'to')) }
        break
    }
    out(JSON.stringify(result, null, json ? undefined : 2))
  } finally {
    db.close()
  }
}
