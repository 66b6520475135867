/**
 * The agent protocol's ops for scene content (docs/agent-protocol.md, "Scene
 * content"): data blocks with their settings and geometry, objects' links to
 * them, collections and the active camera. Geometry never travels in a line:
 * the add-on writes it to a file and the op names the file and its SHA-256.
 */
import { COLLECTION_FLAGS, type CollectionFlag, type SettingValue } from '../crdt/index.js'

export type ContentOp =
  | { op: 'data'; id: string; kind: string; name: string; settings?: Record<string, SettingValue>; geometry?: { hash: string; path: string } | null }
  | { op: 'link'; id: string; data?: string | null; materials?: (string | null)[]; collections?: string[] }
  | { op: 'collection'; id: string; name?: string; parent?: string | null; flags?: Partial<Record<CollectionFlag, boolean>> }
  | { op: 'uncollection'; id: string }
  | { op: 'camera'; id: string | null }

export const CONTENT_OPS = ['data', 'link', 'collection', 'uncollection', 'camera'] as const

type Obj = Record<string, unknown>

function str(o: Obj, k: string): string {
  const v = o[k]
  if (typeof v !== 'string' || v.length === 0) throw new Error(`"${k}" must be a non-empty string`)
  return v
}

function idOrNull(o: Obj, k: string): string | null {
  const v = o[k]
  if (v === null) return null
  if (typeof v !== 'string' || v.length === 0) throw new Error(`"${k}" must be an id or null`)
  return v
}

function object(o: Obj, k: string): Obj {
  const v = o[k]
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`"${k}" must be an object`)
  return v as Obj
}

/** Parses a content op; the values are checked in full when written to the doc. */
export function parseContentOp(o: Obj): ContentOp {
  switch (o.op) {
    case 'data': {
      const op: ContentOp = { op: 'data', id: str(o, 'id'), kind: str(o, 'kind'), name: str(o, 'name') }
      if ('settings' in o) op.settings = object(o, 'settings') as Record<string, SettingValue>
      if ('geometry' in o) {
        if (o.geometry === null) op.geometry = null
        else {
          const g = object(o, 'geometry')
          op.geometry = { hash: str(g, 'hash'), path: str(g, 'path') }
        }
      }
      return op
    }
    case 'link': {
      const op: ContentOp = { op: 'link', id: str(o, 'id') }
      if ('data' in o) op.data = idOrNull(o, 'data')
      if ('materials' in o) {
        if (!Array.isArray(o.materials)) throw new Error('"materials" must be an array of material ids (null for an empty slot)')
        op.materials = o.materials as (string | null)[]
      }
      if ('collections' in o) {
        if (!Array.isArray(o.collections)) throw new Error('"collections" must be an array of collection ids')
        op.collections = o.collections as string[]
      }
      return op
    }
    case 'collection': {
      const op: ContentOp = { op: 'collection', id: str(o, 'id') }
      if ('name' in o) op.name = str(o, 'name')
      if ('parent' in o) op.parent = idOrNull(o, 'parent')
      if ('flags' in o) {
        const f = object(o, 'flags')
        for (const k of Object.keys(f)) if (!(COLLECTION_FLAGS as readonly string[]).includes(k)) throw new Error(`unknown collection flag ${JSON.stringify(k)}; expected ${COLLECTION_FLAGS.join(', ')}`)
        op.flags = f as Partial<Record<CollectionFlag, boolean>>
      }
      return op
    }
    case 'uncollection':
      return { op: 'uncollection', id: str(o, 'id') }
    case 'camera':
      if (!('id' in o)) throw new Error('"id" is required (the camera object\'s id, or null)')
      return { op: 'camera', id: idOrNull(o, 'id') }
    default:
      throw new Error(`not a content op: ${JSON.stringify(o.op)}`)
  }
}
