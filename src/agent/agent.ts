/**
 * The bridge between one Blender and the server: a local Y.Doc behind the
 * stock y-websocket provider. Ops from Blender are written to the doc (and
 * journaled); changes that arrive from the server are sent to Blender. A
 * change is never sent back to the side it came from: local ops carry the
 * LOCAL origin and are not reported to Blender; remote changes are applied
 * by the provider and are not ops, so they are never sent as new edits.
 */
import crypto from 'node:crypto'
import path from 'node:path'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as authProtocol from 'y-protocols/auth'
import * as syncProtocol from 'y-protocols/sync'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { type ChannelWrite, type GeometryRef, type ObjectState, SceneDoc, type Xform, type XformChannel, collectChanges, resolveConcurrentXforms } from '../crdt/index.js'
import type { Logger } from '../logger.js'
import type { InboundOp, ObjectMessage, Outbound } from './agent-protocol.js'
import { connectionProblem } from './connection-problem.js'
import { Journal } from './journal.js'
import { type JournalSlot, acquireJournal, orphanJournals } from './journal-lock.js'
import { ServerClock } from './server-clock.js'
import { ContentBridge } from './content-bridge.js'
import type { ContentOp } from './content-protocol.js'
import { GeometryCache } from './geometry-cache.js'


export const LOCAL_ORIGIN = Symbol('scenesync-agent-local')
const JOURNAL_ORIGIN = Symbol('scenesync-agent-journal')
/** Updates from another journal of this file and room that no running agent holds (journal-lock.ts). */
const ABSORB_ORIGIN = Symbol('scenesync-agent-absorbed-journal')

export interface AgentOptions {
  url: string
  room: string
  token?: string
  name: string
  color?: string
  /** Where journals live. */
  journalDir: string
  /** This file's journal key (server, room, file: main.ts journalKey). */
  journalKey: string
  /** What every journal of this server and room starts with; those no agent runs on are absorbed. */
  roomJournalKey: string
  /** Where geometry files are handed to and from Blender (geometry-cache.ts). */
  geometryDir: string
  emit: (msg: Outbound) => void
  logger?: Logger
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
  readonly clock: ServerClock
  readonly slot: JournalSlot
  private readonly journal: Journal
  private status: 'connecting' | 'synced' | 'offline' = 'connecting'
  private syncTimer: NodeJS.Timeout | null = null
  /** The last connection problem or server error told to Blender: each is said once, not on every retry. */
  private told: string | null = null

  constructor(private readonly opts: AgentOptions) {
    const doc = new Y.Doc()
    this.scene = new SceneDoc(doc)
    this.clock = new ServerClock(opts.url, opts.logger)
    this.slot = acquireJournal(opts.journalDir, opts.journalKey)
    // What this agent knew before it stopped, its unsynced edits included.
    for (const u of Journal.read(this.slot.file)) Y.applyUpdate(doc, u, JOURNAL_ORIGIN)
    this.journal = new Journal(this.slot.file)
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
      // A transform someone replaced concurrently keeps its newer channels (src/crdt/xform-resolve.ts);
      // the merged value is written now, so the report below carries it.
      if (this.readOnly === null) {
        const merged = resolveConcurrentXforms(this.scene, tr, LOCAL_ORIGIN)
        if (merged.length) this.opts.logger?.debug('merged concurrent transforms', { objects: merged.map((m) => m.bone ? `${m.id}/${m.bone}` : m.id) })
      }
      if (tr.origin !== ABSORB_ORIGIN) this.report(tr)
    })
    this.absorbOrphans()
    if (this.slot.sharedWith !== null) {
      opts.emit({
        type: 'notice',
        message: `Another Blender (agent pid ${this.slot.sharedWith}) has this file open in room "${opts.room}". ` +
          `This one keeps its offline edits in a journal of its own (${path.basename(this.slot.file)}); both sync through the server as usual.`,
      })
    }
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
      else if (status === 'disconnected') this.setStatus('offline', `The connection to the server at ${opts.url} was lost; reconnecting. Edits are kept and sent when it is back.`)
      // Each (re)connect re-measures this machine's offset to the server's clock.
      else if (status === 'connected') void this.clock.measure()
    })
    this.provider.on('sync', (synced: boolean) => {
      if (synced) {
        this.told = null
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
      if (e && e.code && e.code >= 4000) this.tell(connectionProblem(opts.url, opts.room, { code: e.code, reason: e.reason }))
      if (this.status !== 'synced') this.setStatus('offline', connectionProblem(opts.url, opts.room, {}))
    })
    this.provider.on('connection-error', (e: Event) => {
      // ws's error event carries the socket's message (ECONNREFUSED, an HTTP status at the upgrade).
      const message = (e as Event & { message?: string }).message
      if (this.status !== 'synced') this.setStatus('offline', connectionProblem(opts.url, opts.room, { message }))
    })
    // The server answers a read-only client's edit with "permission denied";
    // the stock provider only logs it. Tell Blender, and refuse further edits.
    this.provider.messageHandlers[2] = (_e: unknown, decoder: decoding.Decoder) =>
      authProtocol.readAuthMessage(decoder, doc, (_d: Y.Doc, reason: string) => this.denied(reason))
    // Read-only, its edits are refused: offering them again in answer to every
    // reconnect's sync step 1 would only be refused again. Offer nothing; take what comes.
    // Otherwise the server's echo of our updates is its acknowledgement: it paces
    // geometry uploads (chunk-writer.ts).
    const sync = this.provider.messageHandlers[0]!
    this.provider.messageHandlers[0] = (encoder, decoder, provider, emitSynced, type) => {
      const peek = decoding.clone(decoder)
      const sub = decoding.readVarUint(peek)
      if (sub === syncProtocol.messageYjsUpdate) this.content.writer.echoed(decoding.readVarUint8Array(peek))
      if (this.readOnly === null || sub !== syncProtocol.messageYjsSyncStep1) return sync(encoder, decoder, provider, emitSynced, type)
      decoding.readVarUint(decoder)
      decoding.readVarUint8Array(decoder)
      encoding.writeVarUint(encoder, 0) // y-websocket's messageSync
      syncProtocol.writeSyncStep2(encoder, new Y.Doc())
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

  private setStatus(s: 'connecting' | 'synced' | 'offline', detail?: string): void {
    if (s === this.status && s !== 'connecting') return
    this.status = s
    this.opts.emit({ type: 'status', status: s, ...(detail ? { detail } : {}) })
  }

  /** An error line for Blender, once: a server that refuses every retry the same way is told once. */
  private tell(message: string): void {
    if (message === this.told) return
    this.told = message
    this.opts.emit({ type: 'error', message })
  }

  /** Takes in the journals of this room that no running agent holds (journal-lock.ts). */
  private absorbOrphans(): void {
    const orphans = orphanJournals(this.opts.journalDir, this.opts.roomJournalKey, this.slot.file)
    if (!orphans.length) return
    for (const o of orphans) for (const u of Journal.read(o.file)) Y.applyUpdate(this.scene.doc, u, ABSORB_ORIGIN)
    // Their updates are in our journal now (the update handler appended them); only then may they go.
    this.journal.sync()
    for (const o of orphans) o.done()
    this.opts.logger?.info('absorbed journals', { files: orphans.map((o) => path.basename(o.file)) })
  }

  /** When an edit happened, for the doc: now (a live edit), or when Blender saw it happen (`at`, an edit made while disconnected). */
  private stamp(at: number | undefined, channels: readonly XformChannel[] | undefined): ChannelWrite {
    const now = this.clock.now()
    const w: ChannelWrite = at === undefined ? { time: now } : { time: Math.min(this.clock.fromLocal(at), now), past: true }
    if (channels) w.channels = channels
    return w
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
    // Channels of an edit made earlier that the doc keeps, because someone edited them later:
    // Blender is told the doc's value once the op is applied.
    const kept = new Map<string, Set<string>>()
    const keep = (id: string, bone?: string) => {
      let k = kept.get(id)
      if (!k) kept.set(id, (k = new Set()))
      if (bone !== undefined) k.add(bone)
    }
    let refs = new Map<string, GeometryRef>()
    const one = (o: InboundOp): void => {
      switch (o.op) {
        case 'upsert':
          s.upsertObject(o.id, {
            name: o.name,
            type: o.type,
            ...(o.parent !== undefined ? { parent: o.parent } : {}),
            ...(o.visible !== undefined ? { visible: o.visible } : {}),
          })
          if (o.xform !== undefined) s.writeXformChannels(o.id, o.xform, this.stamp(undefined, undefined))
          return
        case 'xform':
          if (s.writeXformChannels(o.id, o.xform, this.stamp(o.at, o.channels)).kept.length) keep(o.id)
          return
        case 'pose':
          for (const [b, x] of Object.entries(o.bones)) {
            if (s.writeXformChannels(o.id, x, this.stamp(o.at, o.channels?.[b]), b).kept.length) keep(o.id, b)
          }
          return
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
    // Channels the doc kept over this op's: Blender is told the doc's value.
    const tell = () => {
      for (const [id, bones] of kept) {
        const state = this.scene.read(id)
        if (state) this.opts.emit(toMessage(state, false, bones))
      }
    }
    // Geometry chunks first, each its own update; then the op (or the batch) as
    // one Yjs transaction: one update, one log entry.
    const content = (op.op === 'batch' ? op.ops : [op]).filter((o): o is ContentOp => o.op === 'data' && !!o.geometry)
    if (content.length === 0) {
      this.scene.transact(() => one(op), LOCAL_ORIGIN)
      return tell()
    }
    return this.content.prepare(content).then((r) => {
      refs = r
      this.scene.transact(() => one(op), LOCAL_ORIGIN)
      tell()
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
    this.slot.release()
  }
}
