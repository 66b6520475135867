/**
 * The agent's stdin/stdout protocol with the Blender add-on: one JSON object
 * per line each way (docs/agent-protocol.md). This module parses and checks
 * inbound lines; a bad line becomes an error naming what is wrong.
 */
import { type Xform, type XformChannel, XFORM_CHANNELS, checkXform, isXformChannel } from '../crdt/index.js'
import type { CollectionMessage, ContentParts, DataMessage } from './content-bridge.js'
import { type ContentOp, parseContentOp } from './content-protocol.js'

export type InboundOp =
  | { op: 'upsert'; id: string; name: string; type: string; parent?: string | null; visible?: boolean; xform?: Xform }
  | { op: 'xform'; id: string; xform: Xform; channels?: XformChannel[]; at?: number }
  | { op: 'pose'; id: string; bones: Record<string, Xform>; channels?: Record<string, XformChannel[]>; at?: number }
  | { op: 'rename'; id: string; name: string }
  | { op: 'reparent'; id: string; parent: string | null }
  | { op: 'visible'; id: string; visible: boolean }
  | { op: 'delete'; id: string }
  | { op: 'selection'; selection: string[]; active: string | null }
  | { op: 'batch'; ops: InboundOp[] }
  | { op: 'scene' }
  | ContentOp

export interface Inbound {
  /** Echoed in an error reply, so the add-on can tell which request failed. */
  req?: number | string
  op: InboundOp
}

export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly req?: number | string,
  ) {
    super(message)
  }
}

type Obj = Record<string, unknown>

function str(o: Obj, k: string): string {
  const v = o[k]
  if (typeof v !== 'string' || v.length === 0) throw new Error(`"${k}" must be a non-empty string`)
  return v
}

function xform(o: Obj, k: string): Xform {
  const c = checkXform(o[k])
  if (!c.ok) throw new Error(`"${k}": ${c.reason}`)
  return c.value
}

function channelList(v: unknown, where: string): XformChannel[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every(isXformChannel)) {
    throw new Error(`${where} must be a non-empty array of ${XFORM_CHANNELS.join(', ')}, got ${JSON.stringify(v)}`)
  }
  return v
}

/** When Blender saw an edit happen (ms since the Unix epoch, this machine's clock): only for edits made while disconnected. */
function editTime(o: Obj): number | undefined {
  if (!('at' in o)) return undefined
  if (typeof o.at !== 'number' || !Number.isFinite(o.at) || o.at < 0) throw new Error(`"at" must be a time in ms since the Unix epoch, got ${JSON.stringify(o.at)}`)
  return o.at
}

function parentOf(o: Obj): string | null {
  const v = o.parent
  if (v === null) return null
  if (typeof v !== 'string' || v.length === 0) throw new Error('"parent" must be an object id or null')
  return v
}

function parseOp(o: Obj, depth = 0): InboundOp {
  switch (o.op) {
    case 'upsert': {
      const op: InboundOp = { op: 'upsert', id: str(o, 'id'), name: str(o, 'name'), type: str(o, 'type') }
      if ('parent' in o) op.parent = parentOf(o)
      if ('visible' in o) {
        if (typeof o.visible !== 'boolean') throw new Error('"visible" must be a boolean')
        op.visible = o.visible
      }
      if ('xform' in o) op.xform = xform(o, 'xform')
      return op
    }
    case 'xform': {
      const op: InboundOp = { op: 'xform', id: str(o, 'id'), xform: xform(o, 'xform') }
      if ('channels' in o) op.channels = channelList(o.channels, '"channels"')
      const at = editTime(o)
      if (at !== undefined) op.at = at
      return op
    }
    case 'pose': {
      const bones = o.bones
      if (typeof bones !== 'object' || bones === null || Array.isArray(bones)) throw new Error('"bones" must be an object of bone name → xform')
      const out: Record<string, Xform> = {}
      for (const [name, x] of Object.entries(bones as Obj)) {
        const c = checkXform(x)
        if (!c.ok) throw new Error(`bone ${JSON.stringify(name)}: ${c.reason}`)
        out[name] = c.value
      }
      const op: InboundOp = { op: 'pose', id: str(o, 'id'), bones: out }
      if ('channels' in o) {
        const ch = o.channels
        if (typeof ch !== 'object' || ch === null || Array.isArray(ch)) throw new Error('"channels" must be an object of bone name → channels')
        op.channels = {}
        for (const [name, list] of Object.entries(ch as Obj)) {
          if (!(name in out)) throw new Error(`"channels" names bone ${JSON.stringify(name)}, which "bones" does not hold`)
          op.channels[name] = channelList(list, `"channels" of bone ${JSON.stringify(name)}`)
        }
      }
      const at = editTime(o)
      if (at !== undefined) op.at = at
      return op
    }
    case 'rename':
      return { op: 'rename', id: str(o, 'id'), name: str(o, 'name') }
    case 'reparent':
      if (!('parent' in o)) throw new Error('"parent" is required (an object id or null)')
      return { op: 'reparent', id: str(o, 'id'), parent: parentOf(o) }
    case 'visible':
      if (typeof o.visible !== 'boolean') throw new Error('"visible" must be a boolean')
      return { op: 'visible', id: str(o, 'id'), visible: o.visible }
    case 'delete':
      return { op: 'delete', id: str(o, 'id') }
    case 'selection': {
      const sel = o.selection
      if (!Array.isArray(sel) || !sel.every((s) => typeof s === 'string')) throw new Error('"selection" must be an array of object ids')
      const active = o.active ?? null
      if (active !== null && typeof active !== 'string') throw new Error('"active" must be an object id or null')
      return { op: 'selection', selection: sel as string[], active }
    }
    case 'batch': {
      if (depth > 0) throw new Error('a batch cannot contain a batch')
      if (!Array.isArray(o.ops)) throw new Error('"ops" must be an array of ops')
      return {
        op: 'batch',
        ops: o.ops.map((x, i) => {
          if (typeof x !== 'object' || x === null) throw new Error(`ops[${i}] must be an object`)
          try {
            return parseOp(x as Obj, depth + 1)
          } catch (e) {
            throw new Error(`ops[${i}]: ${(e as Error).message}`)
          }
        }),
      }
    }
    case 'scene':
      return { op: 'scene' }
    case 'data':
    case 'link':
    case 'collection':
    case 'uncollection':
    case 'camera':
      return parseContentOp(o)
    default:
      throw new Error(`unknown op ${JSON.stringify(o.op)}; expected upsert, xform, pose, rename, reparent, visible, delete, selection, batch, scene, data, link, collection, uncollection or camera`)
  }
}

export function parseLine(line: string): Inbound {
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch (e) {
    throw new ProtocolError(`invalid JSON: ${(e as Error).message}`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError('each line must be a JSON object with an "op"')
  const o = v as Obj
  const req = typeof o.req === 'number' || typeof o.req === 'string' ? o.req : undefined
  try {
    return { ...(req !== undefined ? { req } : {}), op: parseOp(o) }
  } catch (e) {
    throw new ProtocolError(`${String(o.op ?? 'line')}: ${(e as Error).message}`, req)
  }
}

/** Outbound messages to the add-on. */
export interface ObjectMessage {
  type: 'object'
  id: string
  name: string | null
  objectType: string | null
  parent: string | null
  visible: boolean
  xform: Xform | null
  /** Changed bones only, unless `full`; a bone mapped to null was removed. */
  pose: Record<string, Xform | null>
  full: boolean
  /** The data block it shows, its material per slot, the collections it is in. */
  data: string | null
  materials: (string | null)[]
  collections: string[]
}

export type Outbound =
  | { type: 'status'; status: 'connecting' | 'synced' | 'offline'; detail?: string }
  | ObjectMessage
  | { type: 'delete'; id: string }
  | ({ type: 'scene'; reason: 'sync' | 'request'; req?: number | string; objects: ObjectMessage[] } & ContentParts)
  | DataMessage
  | CollectionMessage
  | { type: 'uncollection'; id: string }
  | { type: 'scene-settings'; camera: string | null }
  | { type: 'peers'; peers: Array<{ client: number; name: string; color: string; selection: string[]; active: string | null }> }
  | { type: 'error'; message: string; req?: number | string }
  | { type: 'notice'; message: string }
