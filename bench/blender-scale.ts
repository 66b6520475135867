/**
 * The add-on at scale (part of `npm run bench -- blender`): one headless
 * Blender holding 5,000 objects (then 20 rigs × 100 bones) while 16 stock Yjs
 * clients (y-websocket providers through the real server) write 1,000
 * transform updates a second. Blender is pumped every 10 ms, as its timer
 * would; after each pump the depsgraph is evaluated, as a redraw would, so the
 * capture handler sees the echo of what was applied.
 *
 * Figures: pump time per tick, the handler's time on those echoes, remote
 * object messages applied per second, and whether every final value equals the
 * room's. Then the capture handler's time with 5,000 objects (one random object
 * moved per step, as a drag would).
 *
 * `addonPath` runs the same workload with another copy of the add-on (the
 * before figures: bench/blender.ts extracts a git ref into a folder).
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { SceneDoc } from '../src/crdt/index.js'
import { Blender, agentCommand } from '../test/e2e/blender-harness.js'
import { rng, round, summarize } from './stats.js'

export const OBJECTS = 5_000
export const RIGS = 20
export const BONES = 100
export const PEERS = 16
export const RATE = 1_000
export const SECONDS = 10
/** Worker threads the peers are spread over (bench/blender-peers.ts). */
export const THREADS = 4
const CAPTURE_STEPS = 300

const log = (s: string) => process.stderr.write(`[bench blender] ${s}\n`)

export const ms = (samples: number[]) => {
  const s = summarize(samples.map((v) => v * 1000))
  return { p50: round(s.p50, 3), p99: round(s.p99, 3), max: round(s.max, 3), n: s.n }
}

interface Peer {
  doc: Y.Doc
  scene: SceneDoc
  provider: WebsocketProvider
}

function join(url: string, room: string): Promise<Peer> {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, disableBc: true })
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`a peer did not sync with ${url}/${room} in 60 s`)), 60_000)
    provider.once('sync', () => {
      clearTimeout(t)
      resolve({ doc, scene: new SceneDoc(doc), provider })
    })
  })
}

/** Resolves once `watcher` has every update of `clients` ([client id, clock]). */
async function caughtUp(watcher: Peer, clients: Array<[number, number]>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const have = Y.decodeStateVector(Y.encodeStateVector(watcher.doc))
    if (!clients.some(([id, clock]) => (have.get(id) ?? 0) < clock)) return
    if (Date.now() > end) throw new Error('the watcher did not receive every peer update in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

const own = (p: Peer): [number, number] => [p.doc.clientID, Y.getState(p.doc.store, p.doc.clientID)]

/** The simulated people, spread over worker threads (bench/blender-peers.ts). */
class PeerPool {
  private constructor(private readonly workers: Worker[]) {}

  static async start(url: string, room: string, peers: number, threads: number): Promise<PeerPool> {
    const workers = Array.from({ length: threads }, () => new Worker(new URL('./blender-peers-entry.mjs', import.meta.url)))
    const pool = new PeerPool(workers)
    await Promise.all(workers.map((w, i) => pool.ask(w, { join: { url, room, peers: Math.floor(peers / threads) + (i < peers % threads ? 1 : 0) } }, 'ready')))
    return pool
  }

  private ask<T>(w: Worker, msg: unknown, key: string, timeoutMs = 120_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`a peer worker did not answer ${key} in ${timeoutMs} ms`)), timeoutMs)
      const on = (m: Record<string, unknown>) => {
        if (!(key in m)) return
        clearTimeout(t)
        w.off('message', on)
        resolve(m[key] as T)
      }
      w.on('message', on)
      w.once('error', reject)
      w.postMessage(msg)
    })
  }

  /** `rate` updates a second in all, for `seconds`; returns what was written and the generator's lag. */
  async drive(seconds: number, rate: number, targets: string[], bones?: string[]) {
    const share = rate / this.workers.length
    const out = await Promise.all(this.workers.map((w, i) =>
      this.ask<{ sent: number; seconds: number; lagMs: number; clients: Array<[number, number]> }>(w, { drive: { seconds, rate: share, targets, bones, seed: 11 + i } }, 'driven', (seconds + 120) * 1000)))
    const sent = out.reduce((a, d) => a + d.sent, 0)
    const elapsed = Math.max(...out.map((d) => d.seconds))
    return {
      load: { sent, per_s: round(sent / elapsed, 1), generator_max_lag_ms: round(Math.max(...out.map((d) => d.lagMs)), 1), threads: this.workers.length },
      clients: out.flatMap((d) => d.clients),
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve())
      w.postMessage({ close: true })
      setTimeout(() => void w.terminate(), 5_000).unref()
    })))
  }
}

// Pumps every 10 ms for SECONDS; counts the object messages applied.
const PUMP_LOOP = `
counts = {'object': 0}
_orig = session.handle
def _counting(world, m, _o=_orig):
    if m.get('type') == 'object':
        counts['object'] += 1
    return _o(world, m)
session.handle = _counting
runtime.handler_times = []
pumps = []
end = time.monotonic() + SECONDS
due = time.perf_counter()
applied = []
while time.monotonic() < end:
    before = counts['object']
    t0 = time.perf_counter()
    addon.pump()
    pumps.append(time.perf_counter() - t0)
    applied.append(counts['object'] - before)
    bpy.context.view_layer.update()
    due += runtime.CONNECTED_INTERVAL
    d = due - time.perf_counter()
    if d > 0:
        time.sleep(d)
    else:
        due = time.perf_counter()
del session.handle
result = {'pump': pumps, 'applied': applied, 'handler': runtime.handler_times, 'objects': counts['object']}
runtime.handler_times = None`

// How many of EXPECT's values Blender does not hold yet (bones when BONES is set).
const MISMATCHED = `
def mismatched():
    idx = {getattr(o, PROP): o for o in bpy.context.scene.objects}
    bad = 0
    for oid, want in EXPECT.items():
        o = idx.get(oid)
        if o is None:
            bad += 1
            continue
        if isinstance(want, dict):
            for bone, loc in want.items():
                pb = o.pose.bones.get(bone) if o.pose else None
                if pb is None or any(abs(a - b) > 1e-5 * max(1.0, abs(b)) for a, b in zip(pb.location, loc)):
                    bad += 1
        elif any(abs(a - b) > 1e-5 * max(1.0, abs(b)) for a, b in zip(o.location, want)):
            bad += 1
    return bad
result = mismatched()`

const CAPTURE = `
import random
rnd = random.Random(2)
objs = [o for o in bpy.context.scene.objects if o.name.startswith('S')]
runtime.handler_times = []
for i in range(STEPS):
    o = objs[rnd.randrange(len(objs))]
    o.location.x += 0.01
    bpy.context.view_layer.update()
    addon.pump()
    time.sleep(0.003)
result = runtime.handler_times; runtime.handler_times = None`

const RIGS_PY = `
for a in range(RIGS):
    arm = bpy.data.armatures.new('RigData%d' % a)
    rig = bpy.data.objects.new('Rig%d' % a, arm)
    bpy.context.scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode='EDIT')
    for b in range(BONES):
        eb = arm.edit_bones.new('b%03d' % b)
        eb.head, eb.tail = (a, 0, b * 0.1), (a, 0, b * 0.1 + 0.1)
    bpy.ops.object.mode_set(mode='OBJECT')
result = sum(len(o.pose.bones) for o in bpy.context.scene.objects if o.type == 'ARMATURE')`

type PumpResult = { pump: number[]; applied: number[]; handler: number[]; objects: number }

/** The pump's figures: every tick, the ticks that applied something, and per message. */
function pumpFigures(r: PumpResult) {
  const busy = r.pump.filter((_, i) => r.applied[i]! > 0)
  const messages = r.applied.reduce((a, n) => a + n, 0)
  return {
    pump_ms: ms(r.pump),
    pump_ms_ticks_that_applied: ms(busy),
    messages_per_applying_tick: busy.length ? round(messages / busy.length, 1) : 0,
    pump_us_per_message: messages ? round((busy.reduce((a, v) => a + v, 0) / messages) * 1e6, 1) : null,
  }
}

async function pumpUnderLoad(b: Blender, pool: PeerPool, targets: string[], bones?: string[]) {
  const running = b.cmd<PumpResult>('exec', { code: PUMP_LOOP, vars: { SECONDS: SECONDS + 1 } }, (SECONDS + 120) * 1000)
  const { load, clients } = await pool.drive(SECONDS, RATE, targets, bones)
  const r = await running
  return { load, clients, r }
}

async function settle(b: Blender, watcher: Peer, clients: Array<[number, number]>, expect: () => Record<string, unknown>) {
  await caughtUp(watcher, clients)
  const t0 = performance.now()
  await b.exec(MISMATCHED, { EXPECT: expect() })
  let left = -1
  try {
    // Under load the agent can be minutes behind the peers: wait for it, then count.
    await b.until('mismatched() == 0', {}, 180)
    left = 0
  } catch {
    left = await b.exec<number>('result = mismatched()')
  }
  return { final_values_equal: left === 0, mismatched: left, settle_ms: round(performance.now() - t0, 0) }
}

const loc = (r: () => number): [number, number, number] => [round(r() * 20 - 10, 3), round(r() * 20 - 10, 3), round(r() * 4, 3)]

/** Every figure for one copy of the add-on; `label` names it in progress lines. */
export async function runScale(o: { blender: string; dir: string; serverUrl: string; addonPath?: string; label: string }) {
  const tag = `${o.label}-${process.pid}`
  const opened: Peer[] = []
  const open = async (room: string, n: number) => {
    const ps = await Promise.all(Array.from({ length: n }, () => join(o.serverUrl, room)))
    opened.push(...ps)
    return ps
  }
  const pools: PeerPool[] = []
  const pool = async (room: string) => {
    const p = await PeerPool.start(o.serverUrl, room, PEERS, THREADS)
    pools.push(p)
    return p
  }
  let b: Blender | undefined
  try {
    // -- 5,000 objects ---------------------------------------------------------
    const room = `scale-objects-${tag}`
    log(`${o.label}: seeding ${OBJECTS} objects through a stock client`)
    const [seed] = await open(room, 1)
    const ids = Array.from({ length: OBJECTS }, () => randomUUID())
    const r = rng(7)
    for (let i = 0; i < OBJECTS; i += 500) {
      seed!.doc.transact(() => {
        for (let k = i; k < Math.min(OBJECTS, i + 500); k++)
          seed!.scene.upsertObject(ids[k]!, { name: `S${k}`, type: 'EMPTY', xform: { mode: 'XYZ', location: loc(r), rotation: [0, 0, 0], scale: [1, 1, 1] } })
      })
    }
    const watcher = (await open(room, 1))[0]!   // reads the room's final values
    await caughtUp(watcher, [own(seed!)])
    seed!.provider.destroy()
    const peers = await pool(room)
    log(`${o.label}: a Blender joins with an empty file`)
    b = await Blender.start(`scale-${o.label}`, { blender: o.blender, userScripts: path.join(o.dir, `scripts-${tag}`), addonPath: o.addonPath })
    await b.cmd('config', { server_url: o.serverUrl, room, display_name: 'Scale', agent_command: agentCommand(path.join(o.dir, `journal-${tag}`)) })
    const tJoin = performance.now()
    await b.cmd('connect', {}, 300_000)
    await b.until(`len(bpy.context.scene.objects) >= ${OBJECTS}`, {}, 300)
    const joinMs = performance.now() - tJoin
    // Joining sends this Blender's links of every object; the load starts once
    // the agent has applied them (else the first remote moves are ambiguous and
    // settled by a whole-scene reply, measured here as a pump of seconds).
    await b.cmd('barrier', { timeout: 240 }, 300_000)
    log(`${o.label}: ${PEERS} peers write ${RATE} updates/s for ${SECONDS} s`)
    const objLoad = await pumpUnderLoad(b, peers, ids)
    const objFinal = await settle(b, watcher, objLoad.clients, () => Object.fromEntries(ids.map((id) => [id, watcher.scene.read(id)!.xform!.location])))
    log(`${o.label}: ${JSON.stringify(pumpFigures(objLoad.r))}, ${objLoad.r.objects} object messages, ${JSON.stringify(objLoad.load)}, ${JSON.stringify(objFinal)}`)
    log(`${o.label}: capture handler, one random object of ${OBJECTS} moved per step`)
    const capture = await b.cmd<number[]>('exec', { code: CAPTURE, vars: { STEPS: CAPTURE_STEPS } }, 300_000)
    log(`${o.label}: capture ${JSON.stringify(ms(capture))} ms`)
    await b.kill()
    b = undefined

    // -- 20 rigs × 100 bones ---------------------------------------------------------
    const rigRoom = `scale-rigs-${tag}`
    log(`${o.label}: ${RIGS} rigs × ${BONES} bones made in Blender and shared`)
    b = await Blender.start(`rigs-${o.label}`, { blender: o.blender, userScripts: path.join(o.dir, `scripts-rigs-${tag}`), addonPath: o.addonPath })
    await b.exec(RIGS_PY, { RIGS, BONES })
    await b.cmd('config', { server_url: o.serverUrl, room: rigRoom, display_name: 'Rigs', agent_command: agentCommand(path.join(o.dir, `journal-rigs-${tag}`)) })
    await b.cmd('connect', {}, 300_000)
    await b.cmd('barrier', { timeout: 120 }, 180_000)
    const rigWatcher = (await open(rigRoom, 1))[0]!
    const rigPeers = await pool(rigRoom)
    const rigIds = rigWatcher.scene.readAll().filter((s) => s.type === 'ARMATURE' && s.pose.size >= BONES).map((s) => s.id)
    if (rigIds.length !== RIGS) throw new Error(`the room holds ${rigIds.length} rigs with their bones, not ${RIGS}`)
    const bones = Array.from({ length: BONES }, (_, i) => `b${String(i).padStart(3, '0')}`)
    log(`${o.label}: ${PEERS} peers pose bones, ${RATE} updates/s for ${SECONDS} s`)
    const rigLoad = await pumpUnderLoad(b, rigPeers, rigIds, bones)
    const rigFinal = await settle(b, rigWatcher, rigLoad.clients, () =>
      Object.fromEntries(rigIds.map((id) => [id, Object.fromEntries([...rigWatcher.scene.read(id)!.pose].map(([n, x]) => [n, x.location]))])),
    )

    log(`${o.label}: rigs ${JSON.stringify(pumpFigures(rigLoad.r))}, ${JSON.stringify(rigLoad.load)}, ${JSON.stringify(rigFinal)}`)
    const pump = ms(objLoad.r.pump)
    return {
      pump_ms_p50_5000_objects: pump.p50,
      pump_ms_p99_5000_objects: pump.p99,
      capture_ms_p50_5000_objects: ms(capture).p50,
      objects: {
        ...pumpFigures(objLoad.r),
        echo_handler_ms: ms(objLoad.r.handler),
        load: objLoad.load,
        applied_object_messages_per_s: round(objLoad.r.objects / (SECONDS + 1), 1),
        ...objFinal,
        join_ms: round(joinMs, 0),
        capture_ms: ms(capture),
      },
      rigs: {
        ...pumpFigures(rigLoad.r),
        echo_handler_ms: ms(rigLoad.r.handler),
        load: rigLoad.load,
        applied_object_messages_per_s: round(rigLoad.r.objects / (SECONDS + 1), 1),
        ...rigFinal,
      },
    }
  } finally {
    await b?.kill()
    for (const p of opened) p.provider.destroy()
    await Promise.all(pools.map((p) => p.close()))
  }
}
