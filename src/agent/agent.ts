/**
 * The bridge between one Blender and the server: a local Y.Doc behind the
 * stock y-websocket provider. Ops from Blender are written to the doc (and
 * journaled); changes that arrive from the server are sent to Blender. A
 * change is never sent back to the side it came from: local ops carry the
 * LOCAL origin and are not reported to Blender; remote changes are applied
 * by the provider and are not ops, so they are never sent as new edits.
 */
import crypto from 'node:crypto'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as authProtocol from 'y-protocols/auth'
import * as decoding from 'lib0/decoding'
import { type GeometryRef, type ObjectState, SceneDoc, type Xform, collectChanges } from '../crdt/index.js'
import type { InboundOp, ObjectMessage, Outbound } from './agent-protocol.js'
import { Journal } from './journal.js'
import { ContentBridge } from './content-bridge.js'
import type { ContentOp } from './content-protocol.js'
import { GeometryCache } from './geometry-cache.js'


export const LOCAL_ORIGIN = Symbol('scenesync-agent-local')
const JOURNAL_ORIGIN = Symbol('scenesync-agent-journal')

export interface AgentOptions {
  url: string
  room: string
  token?: string
  name: string
  color?: string
  /** Where the journal lives; one file per server and room. */
  journalFile: string
  /** Where geometry files are handed to and from Blender (geometry-cache.ts). */
  geometryDir: string
  emit: (msg: Outbound) => void
}

function colorOf(name: string): string {
  const h = crypto.createHash('sha1').update(name).digest()
  return `hsl(${h[0]! * 360 >> 8}, 70%, 55%)`
}

/** An object as sent to Blender; `bones` limits the pose to those that changed (null = removed). */
export function toMessage(s: ObjectState, full: boolean, bones?: Iterable<string>): ObjectMessage {
  const pose: Record<string, Xform | null> = {}
  if (full || bones === undefined) for (const [b, x] of s.pose) pose[b] = x
  else for (const b of bones) pose[b] = s.pose.get(b) ?? null
  return { type: 'object', id: s.id, name: s.name, objectType: s.type, parent: s.parent, visible: s.visible, xform: s.xform, pose, full, data: s.data, materials: s.materials, collections: s.collections }
}

/**
 * ws refuses frames over 100 MiB by default; a joiner's sync reply carries the
 * room's whole geometry (a 2M-vertex scene is ~200 MB), so allow up to 2 GiB.
 *
 * Frames go out with an all-zero mask, which ws then skips on both ends: masking
 * 100 MB of geometry costs over a second per side in ws's JS fallback. The mask
 * exists so that script in a browser cannot choose bytes that confuse proxies on
 * the way; this client is not a browser and sends only what the add-on gave it.
 */
const MAX_FRAME_BYTES = 2 ** 31 - 1
class LargeFrameWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols, { maxPayload: MAX_FRAME_BYTES, generateMask: (mask: Buffer) => void mask.fill(0) })
  }
}

export class Agent {
  readonly scene: SceneDoc
  readonly content: ContentBridge
  readonly provider: WebsocketProvider
  private readonly journal: Journal
  private status: 'connecting' | 'synced' | 'offline' = 'connecting'
  private syncTimer: NodeJS.Timeout | null = null

  constructor(private readonly opts: AgentOptions) {
    const doc = new Y.Doc()
    this.scene = new SceneDoc(doc)
    // What this agent knew before it stopped, its unsynced edits included.
    for (const u of Journal.read(opts.journalFile)) Y.applyUpdate(doc, u, JOURNAL_ORIGIN)
    this.journal = new Journal(opts.journalFile)
    doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin === JOURNAL_ORIGIN) return
      this.journal.append(u)
      if (this.journal.needsCompaction()) this.journal.compact(doc)
      // Local edits reach the disk within 200 ms even across a power loss.
      if (origin === LOCAL_ORIGIN && !this.syncTimer) this.syncTimer = setTimeout(() => {
        this.syncTimer = null
        this.journal.sync()
      }, 200)
    })
    this.content = new ContentBridge(this.scene, new GeometryCache(opts.geometryDir), {
      origin: LOCAL_ORIGIN,
      emit: (m) => this.opts.emit(m),
      synced: () => this.provider?.synced === true && this.status === 'synced' && this.readOnly === null,
    })
    doc.on('afterTransaction', (tr: Y.Transaction) => {
      this.content.report(tr, tr.origin === LOCAL_ORIGIN || tr.origin === JOURNAL_ORIGIN)
      // Never echo: local ops came from Blender; journal replays are Blender's own past.
      if (tr.origin === LOCAL_ORIGIN || tr.origin === JOURNAL_ORIGIN) return
      this.report(tr)
    })
    this.provider = new WebsocketProvider(opts.url, opts.room, doc, {
      WebSocketPolyfill: LargeFrameWebSocket as unknown as typeof globalThis.WebSocket,
      params: opts.token ? { token: opts.token, name: opts.name } : { name: opts.name },
      disableBc: true,
      maxBackoffTime: 2000,
    })
    this.provider.awareness.setLocalState({ user: { name: opts.name, color: opts.color ?? colorOf(opts.name) }, selection: [], active: null })
    this.provider.on('status', ({ status }: { status: string }) => {
      // Retries while offline stay "offline" until a sync succeeds, not a flicker per attempt.
      if (status === 'connecting' && this.status !== 'offline') this.setStatus('connecting')
      else if (status === 'disconnected') this.setStatus('offline')
    })
    this.provider.on('sync', (synced: boolean) => {
      if (synced) {
        this.setStatus('synced')
        // Chunks in flight when the connection dropped went with this sync; written offline, they go now.
        this.content.writer.reset()
        this.content.repair()
        this.opts.emit({ type: 'scene', reason: 'sync', objects: this.sceneMessages(), ...this.content.parts() })
      }
    })
    this.provider.on('connection-close', (e: { code?: number; reason?: string } | null) => {
      // y-websocket reports "disconnected" only after a connection that opened; a server
      // that is down from the start shows up here.
      if (this.status !== 'synced') this.setStatus('offline')
      if (e && e.code && e.code >= 4000) this.opts.emit({ type: 'error', message: `server closed the connection (${e.code}): ${e.reason ?? ''}` })
    })
    this.provider.on('connection-error', () => {
      if (this.status !== 'synced') this.setStatus('offline')
    })
    // The server answers a read-only client's edit with "permission denied";
    // the stock provider only logs it. Tell Blender, and refuse further edits.
    this.provider.messageHandlers[2] = (_e: unknown, decoder: decoding.Decoder) =>
      authProtocol.readAuthMessage(decoder, doc, (_d: Y.Doc, reason: string) => this.denied(reason))
    // The server's echo of our updates is its acknowledgement: it paces geometry uploads (chunk-writer.ts).
    const sync = this.provider.messageHandlers[0]!
    this.provider.messageHandlers[0] = (encoder, decoder, provider, emitSynced, type) => {
      const peek = decoding.clone(decoder)
      const sub = decoding.readVarUint(peek)
      if (sub === 2) this.content.writer.echoed(decoding.readVarUint8Array(peek))
      return sync(encoder, decoder, provider, emitSynced, type)
    }
    this.provider.awareness.on('change', () => this.reportPeers())
    this.setStatus('connecting')
  }

  private readOnly: string | null = null

  private denied(reason: string): void {
    if (this.readOnly !== null) return
    this.readOnly = reason
    this.opts.emit({ type: 'error', message: `the server refused this edit: ${reason}; edits made here stay local` })
    this.opts.emit({ type: 'status', status: this.status, detail: 'read-only' })
  }

  private setStatus(s: 'connecting' | 'synced' | 'offline'): void {
    if (s === this.status && s !== 'connecting') return
    this.status = s
    this.opts.emit({ type: 'status', status: s })
  }

  sceneMessages(): ObjectMessage[] {
    return this.scene.readAll().map((s) => toMessage(s, true))
  }

  /**
   * Applies one op from Blender; throws SceneInputError (or Error) naming a bad
   * op. An op carrying geometry completes later (its chunks are uploaded first):
   * then it returns a promise, and the caller waits for it before the next line.
   */
  apply(op: InboundOp, req?: number | string): void | Promise<void> {
    const s = this.scene
    let refs = new Map<string, GeometryRef>()
    const one = (o: InboundOp): void => {
      switch (o.op) {
        case 'upsert':
          s.upsertObject(o.id, {
            name: o.name,
            type: o.type,
            ...(o.parent !== undefined ? { parent: o.parent } : {}),
            ...(o.visible !== undefined ? { visible: o.visible } : {}),
            ...(o.xform !== undefined ? { xform: o.xform } : {}),
          })
          return
        case 'xform': return s.setXform(o.id, o.xform)
        case 'pose': for (const [b, x] of Object.entries(o.bones)) s.setBonePose(o.id, b, x); return
        case 'rename': return s.rename(o.id, o.name)
        case 'reparent': return s.setParent(o.id, o.parent)
        case 'visible': return s.setVisible(o.id, o.visible)
        case 'delete': if (s.has(o.id)) s.deleteObject(o.id); return
        case 'selection':
          this.provider.awareness.setLocalStateField('selection', o.selection)
          this.provider.awareness.setLocalStateField('active', o.active)
          return
        case 'batch': for (const x of o.ops) one(x); return
        case 'scene': this.opts.emit({ type: 'scene', reason: 'request', ...(req !== undefined ? { req } : {}), objects: this.sceneMessages(), ...this.content.parts() }); return
        default: return this.content.apply(o, refs)
      }
    }
    if (this.readOnly !== null && op.op !== 'selection' && op.op !== 'scene') {
      throw new Error(`read-only: the server refuses edits from this token (${this.readOnly})`)
    }
    // Geometry chunks first, each its own update; then the op (or the batch) as one transaction.
    const content = (op.op === 'batch' ? op.ops : [op]).filter((o): o is ContentOp => o.op === 'data' && !!o.geometry)
    if (content.length === 0) return this.scene.transact(() => one(op), LOCAL_ORIGIN)
    return this.content.prepare(content).then((r) => {
      refs = r
      this.scene.transact(() => one(op), LOCAL_ORIGIN)
    })
  }

  private report(tr: Y.Transaction): void {
    for (const [id, change] of collectChanges(tr, this.scene.objects)) {
      const state = this.scene.read(id)
      if (!state) {
        this.opts.emit({ type: 'delete', id })
        continue
      }
      const full = change.keys === 'all' || change.bones === 'all'
      this.opts.emit(toMessage(state, full, full ? undefined : (change.bones as Set<string>)))
    }
  }

  private reportPeers(): void {
    const peers: Extract<Outbound, { type: 'peers' }>['peers'] = []
    for (const [client, st] of this.provider.awareness.getStates()) {
      if (client === this.provider.awareness.clientID) continue
      const s = st as { user?: { name?: unknown; color?: unknown }; selection?: unknown; active?: unknown }
      peers.push({
        client,
        name: typeof s.user?.name === 'string' ? s.user.name : `client ${client}`,
        color: typeof s.user?.color === 'string' ? s.user.color : '#888888',
        selection: Array.isArray(s.selection) ? s.selection.filter((x): x is string => typeof x === 'string') : [],
        active: typeof s.active === 'string' ? s.active : null,
      })
    }
    this.opts.emit({ type: 'peers', peers })
  }


  close(): void {
    if (this.syncTimer) clearTimeout(this.syncTimer)
    this.provider.awareness.setLocalState(null)
    this.provider.destroy()
    this.journal.sync()
    this.journal.close()
  }
}
