/**
 * What a room's history says, read from the server's projection (plain SQL on
 * its SQLite file, read-only): the objects it holds now, and every deletion it
 * ever recorded, with who made it. The end-to-end tests use it to check that a
 * session never deleted or duplicated what the person did not.
 */
import path from 'node:path'
import Database from 'better-sqlite3'

export interface RoomAudit {
  live: Array<{ id: string; name: string | null; type: string | null }>
  deletes: Array<{ id: string; name: string | null; user: string; seq: number }>
  /** Every object id the room ever had. */
  ever: string[]
}

function open(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true })
}

async function projectorLag(http: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text()
  const m = /^scenesync_projector_lag_entries (\d+)$/m.exec(text)
  if (!m) throw new Error(`/metrics has no scenesync_projector_lag_entries:\n${text.slice(0, 500)}`)
  return Number(m[1])
}

/** Waits until the projector has consumed the whole log (the server's metrics say so). */
export async function waitProjected(http: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while ((await projectorLag(http)) !== 0) {
    if (Date.now() > end) throw new Error(`the projection did not catch up with the log within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Waits until the projector has consumed the whole log (the log itself is
 * locked by the server), then reads the room.
 */
export async function auditRoom(http: string, dataDir: string, room: string, timeoutMs = 20_000): Promise<RoomAudit> {
  await waitProjected(http, timeoutMs)
  const proj = open(path.join(dataDir, 'projection.sqlite'))
  try {
    return {
      live: proj.prepare('SELECT object_id AS id, name, type FROM objects WHERE room = ? ORDER BY object_id').all(room) as RoomAudit['live'],
      deletes: proj.prepare('SELECT object_id AS id, name, user, seq FROM object_history WHERE room = ? AND deleted = 1 ORDER BY seq').all(room) as RoomAudit['deletes'],
      ever: (proj.prepare('SELECT k.object_id AS id FROM object_keys k JOIN rooms r ON r.room_id = k.room_id WHERE r.room = ? ORDER BY 1').all(room) as Array<{ id: string }>).map((r) => r.id),
    }
  } finally {
    proj.close()
  }
}
