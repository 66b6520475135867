/**
 * The live room: a Y.Doc kept in sync by the stock y-websocket provider (the
 * same protocol and `?token=` as every client, so read-only tokens work: the
 * page never writes to the doc), read through the scene model's validated
 * reads, and the room's presence.
 *
 * The page announces itself in presence too (its name, its colour, what the
 * person selected here), so people in Blender see who is watching and what
 * they point at. Presence is not logged.
 */
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { SceneDoc, collectChanges } from '../../src/crdt/index.js'
import type { ViewObject } from './scene-graph.js'

export type LiveStatus = 'connecting' | 'synced' | 'offline'

export interface Peer {
  clientId: number
  name: string
  color: string | null
  selection: string[]
  active: string | null
}

export interface LiveOptions {
  /** ws:// or wss:// base of the server. */
  url: string
  room: string
  token: string | null
  name: string
  color: string
}

/** A data block id, read the way any foreign value is read: checked, never trusted. */
export function dataIdOf(scene: SceneDoc, id: string): string | null {
  const m = scene.objects.get(id)
  const v = m instanceof Y.Map ? m.get('data') : undefined
  return typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : null
}

export function viewObjectOf(scene: SceneDoc, id: string): ViewObject | null {
  const s = scene.read(id)
  if (!s) return null
  return { id: s.id, name: s.name, type: s.type, parent: s.parent, visible: s.visible, xform: s.xform, pose: Object.fromEntries(s.pose), data: dataIdOf(scene, id) }
}

export class LiveRoom {
  readonly doc = new Y.Doc()
  readonly scene = new SceneDoc(this.doc)
  readonly provider: WebsocketProvider
  status: LiveStatus = 'connecting'
  synced = false
  /** Ids changed since the last `takeChanges`. */
  private changed = new Set<string>()
  /** Server time of the last remote change the page heard of (its own clock). */
  lastChangeAt = 0
  onStatus: (s: LiveStatus) => void = () => {}
  onPeers: (peers: Peer[]) => void = () => {}
  onChange: () => void = () => {}

  constructor(opts: LiveOptions) {
    this.provider = new WebsocketProvider(opts.url, encodeURIComponent(opts.room), this.doc, {
      params: opts.token ? { token: opts.token, name: opts.name } : { name: opts.name },
      disableBc: true,
      maxBackoffTime: 2500,
    })
    this.provider.awareness.setLocalState({ user: { name: opts.name, color: opts.color, viewer: 'web' }, selection: [], active: null })
    this.doc.on('afterTransaction', (tr: Y.Transaction) => {
      const ids = collectChanges(tr, this.scene.objects)
      if (ids.size === 0) return
      for (const id of ids.keys()) this.changed.add(id)
      this.lastChangeAt = Date.now()
      this.onChange()
    })
    performance.mark('scenesync:ws-start')
    this.provider.on('status', ({ status }: { status: string }) => {
      if (status === 'connected') {
        if (!performance.getEntriesByName('scenesync:ws-open').length) performance.mark('scenesync:ws-open')
        return
      }
      this.setStatus(status === 'disconnected' ? 'offline' : 'connecting')
    })
    this.provider.on('sync', (synced: boolean) => {
      if (!synced) return
      if (!this.synced) performance.mark('scenesync:ws-synced')
      this.synced = true
      this.setStatus('synced')
    })
    this.provider.on('connection-error', () => this.setStatus('offline'))
    this.provider.awareness.on('change', () => this.onPeers(this.peers()))
  }

  private setStatus(s: LiveStatus): void {
    if (s === this.status) return
    this.status = s
    this.onStatus(s)
  }

  /** Every valid object of the doc. */
  readAll(): ViewObject[] {
    return this.scene.ids().sort().flatMap((id) => viewObjectOf(this.scene, id) ?? [])
  }

  /** What changed since the last call: objects to put, ids to remove. */
  takeChanges(): { put: ViewObject[]; removed: string[] } {
    const put: ViewObject[] = []
    const removed: string[] = []
    for (const id of this.changed) {
      const o = viewObjectOf(this.scene, id)
      if (o) put.push(o)
      else removed.push(id)
    }
    this.changed.clear()
    return { put, removed }
  }

  /** Everyone else in the room, with what they selected. */
  peers(): Peer[] {
    const out: Peer[] = []
    for (const [clientId, st] of this.provider.awareness.getStates()) {
      if (clientId === this.doc.clientID || !st) continue
      const user = (st as { user?: { name?: unknown; color?: unknown } }).user
      const sel = (st as { selection?: unknown }).selection
      const active = (st as { active?: unknown }).active
      out.push({
        clientId,
        name: typeof user?.name === 'string' && user.name ? user.name.slice(0, 64) : `client ${clientId}`,
        color: typeof user?.color === 'string' ? user.color : null,
        selection: Array.isArray(sel) ? sel.filter((x): x is string => typeof x === 'string').slice(0, 1000) : [],
        active: typeof active === 'string' ? active : null,
      })
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.clientId - b.clientId)
  }

  /** Tells the others what this person selected in the page. */
  select(ids: string[]): void {
    this.provider.awareness.setLocalStateField('selection', ids)
    this.provider.awareness.setLocalStateField('active', ids[ids.length - 1] ?? null)
  }

  destroy(): void {
    this.provider.awareness.setLocalState(null)
    this.provider.destroy()
    this.doc.destroy()
  }
}
