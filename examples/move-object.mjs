#!/usr/bin/env node
// Moves one object of a scenesync room, found by name, with the stock y-websocket client.
//   node examples/move-object.mjs ws://127.0.0.1:1234 studio Cube 1 2 3   (SCENESYNC_TOKEN=... if the server has a secret)
// The doc's layout is in docs/scene-model.md.
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const [url, room, name, ...xyz] = process.argv.slice(2)
const location = xyz.map(Number)
if (!url || !room || !name || location.length !== 3 || !location.every(Number.isFinite)) {
  console.error('usage: move-object.mjs URL ROOM NAME X Y Z')
  process.exit(2)
}
const fail = (message) => (console.error(message), process.exit(1))
const token = process.env.SCENESYNC_TOKEN
const doc = new Y.Doc()
const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true, params: token ? { token } : {} })
provider.on('connection-close', (e) => e?.code >= 4000 && fail(`the server closed the connection: ${e.reason}`))
provider.on('connection-error', () => provider.wsconnected || fail(`cannot connect to ${url} (a bad token is refused here too)`))
await new Promise((resolve) => provider.once('sync', resolve))

const found = [...doc.getMap('objects')].filter(([, o]) => o instanceof Y.Map && o.get('name') === name)
if (found.length !== 1) fail(`${found.length} objects are named ${JSON.stringify(name)} in room ${room}`)
const [id, object] = found[0]
const xform = [...object.get('xform')] // [mode, location×3, rotation×3|4, scale×3, (edit times×3)]
const end = (xform[0] <= 1 ? 4 : 3) + 7 // quaternion and axis-angle rotations hold 4 numbers
location.forEach((v, i) => (xform[1 + i] = Math.fround(v)))
if (xform.length === end + 3) xform[end] = Date.now() // when the location was edited

// The server sends every update back once it is in its log: that echo is the acknowledgement.
const acked = new Promise((resolve) => provider.ws.addEventListener('message', (m) => {
  const b = new Uint8Array(m.data) // sync (0), update (2)
  if (b[0] === 0 && b[1] === 2) resolve()
}))
object.set('xform', xform)
await acked
console.log(`moved ${name} (${id}) to ${location.join(', ')}`)
provider.destroy()
process.exit(0)
