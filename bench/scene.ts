/**
 * `npm run bench -- scene`: scene content between two real headless Blenders
 * through a real server (DESIGN [D1]–[D3]).
 *
 * - Meshes of 10k, 100k and 1M vertices: A creates a grid, B gets it; then A
 *   edits it in edit mode and leaves edit mode. Per size: Blender's own exit
 *   cost, the add-on's encode, bytes on A's wire, server append latency, B's
 *   apply, and the time from the moment A leaves edit mode (before
 *   mode_set('OBJECT')) until B holds the new vertices (both clocks are this
 *   machine's). Headless, so "B's viewport" is B's mesh updated and its
 *   depsgraph evaluated, not a drawn frame.
 * - Join: A holds 200 objects with 10k-vertex meshes of their own (2M vertices,
 *   200 distinct geometry values); C starts from an empty file and connects;
 *   the time until C holds every mesh.
 * - Moves: 200 moves of the 100k-vertex object; log bytes per move.
 *
 * Progress goes to stderr; the figures are returned (bench/run.ts prints them).
 */
import fs from 'node:fs'
import path from 'node:path'
import { Blender, Server, agentCommand, findBlender, freePort, getJson } from '../test/e2e/blender-harness.js'
import { startFrameTap } from '../test/helpers/frame-tap.js'
import { rmTmp, tmpDir } from '../test/helpers/tmp.js'

const log = (s: string) => process.stderr.write(`[bench scene] ${s}\n`)
const ROOM = 'bench-scene'
/** Grid subdivisions: (s + 1)² vertices. */
const SIZES: Array<[string, number]> = [['10k', 99], ['100k', 315], ['1m', 999]]
const JOIN_OBJECTS = 200
const JOIN_SUBDIV = 99 // 10,000 vertices each
const MOVES = 200

const EMPTY = `
bpy.context.view_layer.active_layer_collection = bpy.context.view_layer.layer_collection
for c in list(bpy.data.collections): bpy.data.collections.remove(c)`

const CREATE = `
bpy.ops.mesh.primitive_grid_add(x_subdivisions=S, y_subdivisions=S, size=2)
o = bpy.context.active_object
o.name = NAME
tick()
result = {'id': getattr(o, PROP), 'vertices': len(o.data.vertices)}`

const EDIT = `
o = obj(ID)
bpy.context.view_layer.objects.active = o
bpy.ops.object.mode_set(mode='EDIT')
bpy.ops.mesh.select_all(action='SELECT')
bpy.ops.transform.translate(value=(0, 0, DZ))
t0 = time.time()
bpy.ops.object.mode_set(mode='OBJECT')
t1 = time.time()
tick()
result = {'t0': t0, 'exit_ms': (t1 - t0) * 1000, 'encode_ms': session.content.stats['last_encode_s'] * 1000,
          'z': o.data.vertices[0].co.z, 'sent': session.content.stats['geometry_sent']}`

const HOLDS = `(obj(ID) is not None and len(obj(ID).data.vertices) == N and abs(obj(ID).data.vertices[0].co.z - Z) < 1e-6) and time.time()`

const MANY = `
from mathutils import Matrix
bpy.ops.mesh.primitive_grid_add(x_subdivisions=S, y_subdivisions=S, size=2)
src = bpy.context.active_object
ids = []
for i in range(COUNT):
    me = src.data.copy()
    me.transform(Matrix.Translation((i * 0.001, 0, 0)))   # a value of its own: no two meshes hash alike
    o = bpy.data.objects.new('Tile%03d' % i, me)
    bpy.context.scene.collection.objects.link(o)
    o.location = (i % 20 * 2.5, i // 20 * 2.5, 0)
bpy.data.objects.remove(src, do_unlink=True)
tick()
result = sum(len(o.data.vertices) for o in bpy.context.scene.objects if o.name.startswith('Tile'))`

// Paced like a drag at 50 Hz, so every move is sent (the add-on coalesces faster ones).
const MOVE = `
o = obj(ID)
for i in range(N):
    o.location.x += 0.01
    tick()
    time.sleep(0.02)
    addon.pump()
result = session.content.stats['geometry_sent']`

/** B.until in steps, saying where B is meanwhile (a slow machine is not a hang). */
async function waitIn(b: Blender, expr: string, vars: Record<string, unknown>, seconds: number, other?: Blender): Promise<unknown> {
  const end = Date.now() + seconds * 1000
  for (;;) {
    try {
      return await b.until(expr, vars, 15)
    } catch (e) {
      if (Date.now() > end) throw e
      const st = await b.cmd('eval', { expr: "{'stats': session.content.stats, 'error': session.error, 'status': session.status}" })
      log(`${b.name} still waiting: ${JSON.stringify(st)}`)
      if (other) log(`${other.name}: ${JSON.stringify(await other.cmd('eval', { expr: "{'stats': session.content.stats, 'error': session.error, 'status': session.status, 'alive': session.agent is not None and session.agent.alive, 'lines': session.agent.lines_out if session.agent else None}" }))}`)
    }
  }
}

async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text()
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  return m ? Number(m[1]) : 0
}

const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d

/** CPU time (user + system, ms) a process has used; a loaded machine stretches wall time, not this. */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100
  } catch {
    return 0
  }
}

/** The agent a Blender started: its child process running node. */
function agentPid(blenderPid: number | undefined): number | undefined {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8')
      const comm = /\((.*)\)/.exec(stat)![1]
      const ppid = Number(stat.split(') ')[1]!.split(' ')[1])
      if (ppid === blenderPid && comm === 'node') return Number(d)
    } catch {
      // gone meanwhile
    }
  }
  return undefined
}

/** CPU ms per process between two calls. */
function cpuMeter(procs: Record<string, number | undefined>): () => Record<string, number> {
  const start = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuMs(pid)]))
  return () => Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, round(cpuMs(pid) - start[k]!)]))
}

export async function runScene(): Promise<Record<string, unknown>> {
  const blender = findBlender()
  if (!blender) throw new Error('the scene benchmark needs Blender: install it (Debian: apt-get install blender) or set SCENESYNC_BLENDER')
  const dir = tmpDir('scenesync-bench-scene-')
  const port = await freePort()
  const start = (name: string) => Blender.start(name, { blender, userScripts: path.join(dir, `scripts-${name}`) })
  const [server, A, B] = await Promise.all([Server.start(port, path.join(dir, 'data')), start('A'), start('B')])
  const tap = await startFrameTap(port)
  const blenders = [A, B]
  const connect = async (b: Blender, name: string, url: string) => {
    await b.exec(EMPTY)
    await b.cmd('config', { server_url: url, room: ROOM, display_name: name, agent_command: agentCommand(path.join(dir, `journal-${name}`)) })
    await b.cmd('connect', {}, 120_000)
    await b.cmd('barrier', { timeout: 600 }, 700_000)
  }
  const out: Record<string, unknown> = {}
  try {
    await connect(A, 'A', `ws://127.0.0.1:${tap.port}`)
    await connect(B, 'B', server.ws)
    const procs = { blender_a: A.child.pid, agent_a: agentPid(A.child.pid), server: server.child.pid, agent_b: agentPid(B.child.pid), blender_b: B.child.pid }
    let ids100k = ''
    for (const [label, s] of SIZES) {
      const made = await A.exec<{ id: string; vertices: number }>(CREATE, { S: s, NAME: `Grid${label}` })
      if (label === '100k') ids100k = made.id
      log(`${label}: A made ${made.vertices} vertices; waiting for B`)
      await waitIn(B, `obj(ID) is not None and len(obj(ID).data.vertices) == N`, { ID: made.id, N: made.vertices }, 300, A)
      await A.cmd('barrier', { timeout: 600 }, 700_000)
      tap.reset()
      const [c0, s0] = [await metric(server.http, 'scenesync_append_seconds_count'), await metric(server.http, 'scenesync_append_seconds_sum')]
      const applied0 = await B.cmd<number>('eval', { expr: "session.content.stats['geometry_applied']" })
      const cpu = cpuMeter(procs)
      const edit = await A.exec<{ t0: number; exit_ms: number; encode_ms: number; z: number; sent: number }>(EDIT, { ID: made.id, DZ: 0.25 })
      const t1 = await B.until<number>(HOLDS, { ID: made.id, N: made.vertices, Z: edit.z }, 300)
      const cpuUsed = cpu()
      await A.cmd('barrier', { timeout: 600 }, 700_000)
      const [c1, s1] = [await metric(server.http, 'scenesync_append_seconds_count'), await metric(server.http, 'scenesync_append_seconds_sum')]
      const applyMs = (await B.cmd<number>('eval', { expr: "session.content.stats['last_apply_s']" })) * 1000
      const applied = (await B.cmd<number>('eval', { expr: "session.content.stats['geometry_applied']" })) - applied0
      const figures = {
        vertices: made.vertices,
        edit_to_peer_ms: round((t1 - edit.t0) * 1000),
        blender_exit_ms: round(edit.exit_ms),
        encode_ms: round(edit.encode_ms),
        wire_bytes: tap.bytes(),
        append_updates: c1 - c0,
        append_ms_mean: round(((s1 - s0) / Math.max(1, c1 - c0)) * 1000, 2),
        apply_ms: round(applyMs),
        applied_in_b: applied,
        // CPU each process spent from the edit to B holding it (includes the drivers' polling, ~1 ms per 10 ms).
        cpu_ms: cpuUsed,
      }
      log(`${label}: ${JSON.stringify(figures)}`)
      out[`mesh_${label}`] = figures
      out[`mesh_${label}_edit_to_peer_ms`] = figures.edit_to_peer_ms
    }

    log(`moves: ${MOVES} moves of the 100k-vertex object`)
    await A.cmd('barrier')
    const bytes0 = await metric(server.http, 'scenesync_update_bytes_appended_total')
    const updates0 = await metric(server.http, 'scenesync_updates_appended_total')
    const sentBefore = await A.cmd<number>('eval', { expr: "session.content.stats['geometry_sent']" })
    tap.reset()
    const sentAfter = await A.exec<number>(MOVE, { ID: ids100k, N: MOVES })
    await A.cmd('barrier')
    const logBytes = (await metric(server.http, 'scenesync_update_bytes_appended_total')) - bytes0
    out.log_bytes_per_move_100k_object = round(logBytes / MOVES)
    out.moves = { moves: MOVES, log_entries: (await metric(server.http, 'scenesync_updates_appended_total')) - updates0, wire_bytes_per_move: round(tap.bytes() / MOVES), geometry_sent: sentAfter - sentBefore }
    log(`moves: ${JSON.stringify(out.moves)}, ${out.log_bytes_per_move_100k_object} log bytes per move`)

    log(`join: A makes ${JOIN_OBJECTS} objects of ${(JOIN_SUBDIV + 1) ** 2} vertices`)
    const total = await A.exec<number>(MANY, { S: JOIN_SUBDIV, COUNT: JOIN_OBJECTS })
    await A.cmd('barrier', { timeout: 900 }, 1_000_000)
    await B.until(`sum(len(o.data.vertices) for o in bpy.context.scene.objects if o.name.startswith('Tile')) == N`, { N: total }, 600)
    await B.cmd('barrier', { timeout: 900 }, 1_000_000)
    const C = await start('C')
    blenders.push(C)
    await C.exec(EMPTY)
    await C.cmd('config', { server_url: server.ws, room: ROOM, display_name: 'C', agent_command: agentCommand(path.join(dir, 'journal-C')) })
    const joinCpu = cpuMeter({ server: server.child.pid, blender_c: C.child.pid })
    const t0 = Date.now()
    await C.cmd('connect', {}, 600_000)
    await C.until(`sum(len(o.data.vertices) for o in bpy.context.scene.objects if o.name.startswith('Tile')) == N`, { N: total }, 600)
    const joinS = (Date.now() - t0) / 1000
    // C's agent started with the join: all of its CPU is the join's.
    const joinCpuMs = { ...joinCpu(), agent_c: round(cpuMs(agentPid(C.child.pid))) }
    const scene = await getJson<{ data: unknown[] }>(`${server.http}/rooms/${ROOM}/scene`)
    out.join_2m_vertices_s = round(joinS, 2)
    out.join = { objects: JOIN_OBJECTS, vertices: total, data_blocks_in_room: scene.data.length, apply_s: round(await C.cmd<number>('eval', { expr: "session.content.stats['apply_s']" }), 2), cpu_ms: joinCpuMs }
    out.load_average = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number)
    log(`join: ${joinS.toFixed(2)} s for ${total} vertices`)
    out.targets = { mesh_100k_edit_to_peer_ms: 300, mesh_1m_edit_to_peer_ms: 2000, join_2m_vertices_s: 5, log_bytes_per_move_100k_object: 100 }
    return out
  } finally {
    await Promise.all(blenders.map((b) => b.kill()))
    await tap.close()
    await server.stop()
    rmTmp(dir)
  }
}
