/**
 * The server's HTTP read API as the page uses it: the same routes and token
 * (`Authorization: Bearer`) as every other client. Errors keep the server's
 * status and its sentence, which the page shows as it is.
 */
import type { Xform } from '../../src/crdt/index.js'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export interface RoomSummary {
  room: string
  objects: number
  lastSeq: number | null
  lastTime: number | null
}

export interface RoomList {
  auth: boolean
  pattern: string
  role: 'read' | 'write'
  name: string | null
  rooms: RoomSummary[]
}

export interface Point {
  seq: number
  time: number
}

export interface Span {
  room: string
  first: Point | null
  last: Point | null
  head: number
  now: number
  role: 'read' | 'write'
  name: string | null
}

export interface SceneObjectJson {
  id: string
  name: string | null
  type: string | null
  parent: string | null
  visible: boolean
  xform: Xform | null
  pose: Record<string, Xform>
  seq: number
  /** The data block an object shows, where the server's scene model has it. */
  data?: string | null
}

export interface Activity {
  from: number
  to: number
  bucketMs: number
  users: string[]
  cells: Array<[number, number, number]>
}

export interface ChangeJson {
  seq: number
  time: number
  user: string
  client: number
  objectId: string
  name: string | null
  what: string[]
}

export interface PathPointJson {
  seq: number
  time: number
  user: string
  deleted: boolean
  name: string | null
  xform: Xform | null
}

export interface ObjectAtJson {
  at: number
  object: SceneObjectJson | null
  lastChange: { seq: number; time: number; user: string; what: string[] } | null
}

/** A point of history for a query string: a log position, or a time as ISO. */
export type AtParam = { seq: number } | { time: number }

function atParam(at: AtParam): string {
  return 'seq' in at ? String(at.seq) : new Date(at.time).toISOString()
}

export class Api {
  constructor(
    private readonly base: string,
    public token: string | null,
  ) {}

  async get<T>(path: string, params: Record<string, string | number | undefined> = {}, signal?: AbortSignal): Promise<T> {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v))
    const url = `${this.base}${path}${q.size ? `?${q}` : ''}`
    let res: Response
    try {
      res = await fetch(url, { headers: this.token ? { authorization: `Bearer ${this.token}` } : {}, ...(signal ? { signal } : {}) })
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e
      throw new ApiError(0, `cannot reach the server at ${this.base || location.origin}`)
    }
    const text = await res.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new ApiError(res.status, `the server answered ${path} with something that is not JSON (HTTP ${res.status})`)
    }
    if (!res.ok) throw new ApiError(res.status, (body as { error?: string }).error ?? `HTTP ${res.status}`)
    return body as T
  }

  rooms = () => this.get<RoomList>('/rooms')
  span = (room: string) => this.get<Span>(`/rooms/${encodeURIComponent(room)}/span`)
  /** The scene at a point of history, or now (the projection's current tables) without one. */
  scene = (room: string, at: AtParam | undefined, signal?: AbortSignal) =>
    this.get<{ at: number; objects: SceneObjectJson[] }>(`/rooms/${encodeURIComponent(room)}/scene`, { at: at && atParam(at) }, signal)
  activity = (room: string, from: number, to: number, buckets: number) => this.get<Activity>(`/rooms/${encodeURIComponent(room)}/activity`, { from, to, buckets })
  changes = (room: string, to: AtParam | undefined, limit: number) =>
    this.get<{ changes: ChangeJson[]; next: number | null; to: number }>(`/rooms/${encodeURIComponent(room)}/changes`, { to: to && atParam(to), limit })
  path = (room: string, id: string, from: number, to: number) =>
    this.get<{ points: PathPointJson[] }>(`/rooms/${encodeURIComponent(room)}/objects/${encodeURIComponent(id)}/history`, { from: atParam({ time: from }), to: atParam({ time: to }) })
  objectAt = (room: string, id: string, at: AtParam | undefined) =>
    this.get<ObjectAtJson>(`/rooms/${encodeURIComponent(room)}/objects/${encodeURIComponent(id)}`, { at: at && atParam(at) })
}
