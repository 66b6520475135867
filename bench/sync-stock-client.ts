/**
 * The stock client of each protocol, unchanged: y-websocket v3's
 * `WebsocketProvider` (ours, @y/websocket-server) or `@hocuspocus/provider`'s
 * `HocuspocusProvider` (Hocuspocus). Both apply remote updates in a
 * transaction whose origin is the provider object.
 */
import { HocuspocusProvider } from '@hocuspocus/provider'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import type * as Y from 'yjs'
import type { Protocol } from './sync-raw-client.js'

export interface StockClient {
  /** The transaction origin of remote updates. */
  readonly origin: unknown
  readonly synced: boolean
  /** Times the connection dropped (not counting destroy). */
  readonly disconnects: number
  /** Sets this client's presence (awareness local state). */
  setPresence(state: Record<string, unknown>): void
  destroy(): void
}

export function stockClient(protocol: Protocol, url: string, room: string, doc: Y.Doc): StockClient {
  let disconnects = 0
  let destroyed = false
  if (protocol === 'y-websocket') {
    const p = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
    p.on('status', ({ status }: { status: string }) => {
      if (status === 'disconnected' && !destroyed) disconnects++
    })
    return {
      origin: p,
      get synced() {
        return p.synced
      },
      get disconnects() {
        return disconnects
      },
      setPresence: (s) => p.awareness.setLocalState(s),
      destroy: () => {
        destroyed = true
        p.destroy()
      },
    }
  }
  const p = new HocuspocusProvider({
    url,
    name: room,
    document: doc,
    // Node 20 has no global WebSocket; the provider takes one, as y-websocket does.
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    onDisconnect: () => {
      if (!destroyed) disconnects++
    },
  } as ConstructorParameters<typeof HocuspocusProvider>[0])
  return {
    origin: p,
    get synced() {
      return p.isSynced
    },
    get disconnects() {
      return disconnects
    },
    setPresence: (s) => p.awareness?.setLocalState(s),
    destroy: () => {
      destroyed = true
      p.destroy()
    },
  }
}
