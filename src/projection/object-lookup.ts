/**
 * Finding a room and an object the way a person names them: an object by its
 * id or by its name. Names are not unique keys (a deleted "Suzanne" and a new
 * one, or two objects renamed at once by two people), so a name that fits more
 * than one object is an error that lists them, never a silent pick.
 */
import type { SqlDatabase, SqlStatement } from './sql.js'

export type LookupCode = 'unknown_room' | 'unknown_object' | 'ambiguous_object'

export interface ObjectMatch {
  id: string
  /** Its last name (at its last change). */
  name: string | null
  /** Whether it exists now. */
  live: boolean
  /** Position of its last change. */
  seq: number
}

export class LookupError extends Error {
  constructor(
    readonly code: LookupCode,
    message: string,
    readonly matches: ObjectMatch[] = [],
  ) {
    super(message)
  }
}

export interface ResolvedObject {
  id: string
  name: string | null
  /** How the reference matched: the id itself, a current name, a deleted object's last name, or a former name. */
  by: 'id' | 'name' | 'last-name' | 'former-name'
}

const LAST = `h.seq = (SELECT max(x.seq) FROM history x WHERE x.obj = k.obj)`

export class ObjectLookup {
  private readonly s: Record<string, SqlStatement>

  constructor(db: SqlDatabase) {
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      rooms: p('SELECT room FROM rooms ORDER BY room LIMIT 20'),
      byId: p(`SELECT k.object_id AS id, h.name, h.deleted, h.seq FROM object_keys k JOIN history h ON h.obj = k.obj AND ${LAST}
        WHERE k.room_id = ? AND k.object_id = ?`),
      live: p('SELECT object_id AS id, name, seq FROM objects WHERE room = ? AND name = ? ORDER BY object_id'),
      lastName: p(`SELECT k.object_id AS id, h.name, h.deleted, h.seq FROM object_keys k JOIN history h ON h.obj = k.obj AND ${LAST}
        WHERE k.room_id = ? AND h.name = ? ORDER BY k.object_id`),
      former: p(`SELECT DISTINCT k.object_id AS id FROM object_keys k JOIN history h ON h.obj = k.obj
        WHERE k.room_id = ? AND h.name = ? ORDER BY k.object_id LIMIT 50`),
      similar: p(`SELECT object_id AS id, name, seq FROM objects WHERE room = ? AND lower(name) LIKE ? ESCAPE '\\' ORDER BY name LIMIT 5`),
    }
  }

  /** The rooms the projection knows (at most 20, for error messages). */
  knownRooms(): string[] {
    return (this.s.rooms!.all() as Array<{ room: string }>).map((r) => r.room)
  }

  unknownRoom(room: string): LookupError {
    const rooms = this.knownRooms()
    const known = rooms.length === 0 ? 'the projection has no rooms yet' : `rooms: ${rooms.join(', ')}${rooms.length === 20 ? ', …' : ''}`
    return new LookupError('unknown_room', `no room ${JSON.stringify(room)} in the projection (${known})`)
  }

  /** Resolves an id or a name in a room (`roomId` from the rooms table). */
  resolve(roomId: number, room: string, ref: string): ResolvedObject {
    const byId = this.s.byId!.get(roomId, ref) as { id: string; name: string | null } | undefined
    if (byId) return { id: byId.id, name: byId.name, by: 'id' }
    const live = this.s.live!.all(room, ref) as Array<{ id: string; name: string | null; seq: number }>
    if (live.length === 1) return { id: live[0]!.id, name: live[0]!.name, by: 'name' }
    if (live.length > 1) throw ambiguous(room, ref, live.map((m) => ({ ...m, live: true })))
    const last = (this.s.lastName!.all(roomId, ref) as Array<{ id: string; name: string | null; deleted: number; seq: number }>).map((m) => ({
      id: m.id,
      name: m.name,
      live: m.deleted === 0,
      seq: m.seq,
    }))
    if (last.length === 1) return { id: last[0]!.id, name: last[0]!.name, by: 'last-name' }
    if (last.length > 1) throw ambiguous(room, ref, last)
    // Only on a miss so far: a scan of the room's history for a name it once had.
    const former = (this.s.former!.all(roomId, ref) as Array<{ id: string }>).map((m) => this.match(roomId, m.id))
    if (former.length === 1) return { id: former[0]!.id, name: former[0]!.name, by: 'former-name' }
    if (former.length > 1) throw ambiguous(room, ref, former, 'were once named')
    const like = `%${ref.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    const near = this.s.similar!.all(room, like) as Array<{ id: string; name: string | null }>
    const hint = near.length > 0 ? `; did you mean ${near.map((n) => `${JSON.stringify(n.name)} (${n.id})`).join(', ')}?` : ''
    return throwUnknown(room, ref, hint)
  }

  private match(roomId: number, id: string): ObjectMatch {
    const r = this.s.byId!.get(roomId, id) as { id: string; name: string | null; deleted: number; seq: number }
    return { id: r.id, name: r.name, live: r.deleted === 0, seq: r.seq }
  }
}

function ambiguous(room: string, ref: string, matches: ObjectMatch[], verb = 'are named'): LookupError {
  const list = matches.map((m) => `  ${m.id}  ${JSON.stringify(m.name)}${m.live ? '' : ' (deleted)'}, last changed at #${m.seq}`).join('\n')
  return new LookupError('ambiguous_object', `${matches.length} objects in room ${JSON.stringify(room)} ${verb} ${JSON.stringify(ref)}; pass an id:\n${list}`, matches)
}

function throwUnknown(room: string, ref: string, hint: string): never {
  throw new LookupError('unknown_object', `no object ${JSON.stringify(ref)} (by id or name) in room ${JSON.stringify(room)}${hint}`)
}
