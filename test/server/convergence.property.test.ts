import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { SceneDoc } from '../../src/crdt/index.js'
import { checkProperty } from '../helpers/prop.js'
import { type Op, applyOp, canonical, opArb } from '../helpers/scene-ops.js'
import { startServer, waitFor } from '../helpers/server.js'

type Step = { t: 'edit'; c: number; op: Op } | { t: 'toggle'; c: number } | { t: 'pause' }

const scenario = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    steps: fc.array(
      fc.oneof(
        { arbitrary: fc.record({ t: fc.constant('edit' as const), c: fc.nat(n - 1), op: opArb }), weight: 8 },
        { arbitrary: fc.record({ t: fc.constant('toggle' as const), c: fc.nat(n - 1) }), weight: 2 },
        { arbitrary: fc.constant({ t: 'pause' as const }), weight: 2 },
      ),
      { minLength: 5, maxLength: 60 },
    ),
  }),
)

/** The projection's scene as the same canonical JSON as a doc's typed read. */
function sceneJson(objects: Array<{ id: string; name: string | null; type: string | null; parent: string | null; visible: boolean; xform: unknown; pose: Record<string, unknown> }>): string {
  return canonical(objects.map((o) => ({ id: o.id, name: o.name, type: o.type, parent: o.parent, visible: o.visible, xform: o.xform, pose: o.pose })))
}

describe('clients through the server', () => {
  it('[C1] 2–8 stock y-websocket providers with random edits, disconnects and reconnects converge, and the HTTP scene equals their content', async () => {
    const s = await startServer()
    let round = 0
    try {
      await checkProperty(
        'C1 through the server',
        fc.asyncProperty(scenario, async ({ n, steps }) => {
          const room = `room-${round++}`
          const clients = Array.from({ length: n }, () => {
            const doc = new Y.Doc()
            const p = new WebsocketProvider(s.url, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, maxBackoffTime: 100 })
            return { doc, scene: new SceneDoc(doc), p }
          })
          try {
            await waitFor(() => clients.every((c) => c.p.synced), 10_000, 'initial sync')
            for (const st of steps as Step[]) {
              if (st.t === 'edit') applyOp(clients[st.c]!.scene, st.op)
              else if (st.t === 'toggle') {
                const c = clients[st.c]!
                if (c.p.shouldConnect) c.p.disconnect()
                else c.p.connect()
              } else await new Promise((r) => setTimeout(r, 20))
            }
            for (const c of clients) if (!c.p.shouldConnect) c.p.connect()
            const contents = () => clients.map((c) => canonical(c.scene.readAll()))
            await waitFor(() => clients.every((c) => c.p.synced) && new Set(contents()).size === 1, 15_000, 'convergence')
            const expected = canonical(clients[0]!.scene.readAll())
            // Every update has been appended; the projection catches up and equals the replicas.
            await waitFor(async () => {
              const res = (await (await fetch(`${s.http}/rooms/${room}/scene`)).json()) as { objects: Parameters<typeof sceneJson>[0] }
              return sceneJson(res.objects) === sceneJson(JSON.parse(expected, (_k, v: unknown) => v))
            }, 10_000, 'the projection to match')
            expect(new Set(contents()).size).toBe(1)
          } finally {
            for (const c of clients) c.p.destroy()
          }
        }),
        { numRuns: 25 },
      )
    } finally {
      await s.stop()
    }
  }, 180_000)
})
