/**
 * `npm run bench -- blender`: the add-on in real headless Blenders.
 *
 * - latency: Blender A moves an object 30 times a second; Blender B (pumped
 *   every 10 ms, as its timer would be) notes when each value is applied.
 *   Both run on this machine, so their wall clocks agree.
 * - handler overhead: time spent in the depsgraph handler per update, moving
 *   one random object of 1,000, then posing one random bone of 10 armatures of
 *   50 bones.
 * - idle traffic: 20 s with nobody editing, counted on A's wire (a counting
 *   proxy between A's agent and the server) and on both add-on ↔ agent pipes.
 * - scale (bench/blender-scale.ts, peers in bench/blender-peers.ts workers): 5,000 objects, then 20 rigs × 100 bones,
 *   receiving 1,000 updates/s from 16 stock Yjs clients; capture with 5,000.
 *
 * SCENESYNC_BENCH_BASELINE=<git ref> also runs the scale part with the add-on
 * as it is at that ref (e.g. main), in the same run, for before/after ratios.
 * SCENESYNC_BENCH_BLENDER=scale runs only the scale part.
 *
 * Progress goes to stderr; the figures are returned (bench/run.ts prints them).
 */
import path from 'node:path'
import os from 'node:os'
import { Blender, Server, agentCommand, findBlender, freePort } from '../test/e2e/blender-harness.js'
import { rmTmp, tmpDir } from '../test/helpers/tmp.js'
import { round, summarize } from './stats.js'
import { startWireTap } from './ws-tap.js'
import { runScale } from './blender-scale.js'
import { execFileSync } from 'node:child_process'
import { ROOT } from '../test/e2e/blender-harness.js'

const RATE = 30
const LATENCY_SECONDS = 10
const STEPS = 300
const IDLE_SECONDS = 20

const log = (s: string) => process.stderr.write(`[bench blender] ${s}\n`)

const ms = (samples: number[]) => {
  const s = summarize(samples.map((v) => v * 1000))
  return { p50: round(s.p50, 3), p99: round(s.p99, 3), max: round(s.max, 3), n: s.n }
}

const MOVER = `
o = obj(ID); sent = {}; t0 = time.time()
for k in range(1, N + 1):
    while time.time() < t0 + k / RATE:
        addon.pump()          # what the timer does between edits
        time.sleep(0.002)
    sent[k] = time.time()
    o.location.x = k
    bpy.context.view_layer.update()   # runs the depsgraph handler, as after a drag step
    addon.pump()
result = sent`

const LISTENER = `
o = obj(ID); seen = {}; last = o.location.x; end = time.time() + SECONDS
while time.time() < end:
    addon.pump()
    x = o.location.x
    if x != last:
        seen[int(round(x))] = time.time(); last = x
    bpy.context.view_layer.update()
    time.sleep(runtime.CONNECTED_INTERVAL)
result = seen`

const MANY_OBJECTS = `
import random
rnd = random.Random(1)
objs = [new_object('E%d' % i, 'EMPTY') for i in range(1000)]
for o in objs:
    o.location = (rnd.uniform(-10, 10), rnd.uniform(-10, 10), 0)
tick()
result = len(bpy.context.scene.objects)`

const MOVE_RANDOM_OBJECTS = `
import random
rnd = random.Random(2)
objs = [o for o in bpy.context.scene.objects if o.name.startswith('E')]
runtime.handler_times = []
for i in range(STEPS):
    o = objs[rnd.randrange(len(objs))]
    o.location.x += 0.01
    bpy.context.view_layer.update()
    addon.pump()
    time.sleep(0.003)
result = runtime.handler_times; runtime.handler_times = None`

const ARMATURES = `
for a in range(10):
    arm = bpy.data.armatures.new('ArmData%d' % a)
    rig = bpy.data.objects.new('Arm%d' % a, arm)
    bpy.context.scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode='EDIT')
    for b in range(50):
        eb = arm.edit_bones.new('b%02d' % b)
        eb.head, eb.tail = (a, 0, b * 0.1), (a, 0, b * 0.1 + 0.1)
    bpy.ops.object.mode_set(mode='OBJECT')
tick()
result = sum(len(o.pose.bones) for o in bpy.context.scene.objects if o.type == 'ARMATURE')`

const POSE_RANDOM_BONES = `
import random
rnd = random.Random(3)
rigs = [o for o in bpy.context.scene.objects if o.name.startswith('Arm')]
runtime.handler_times = []
for i in range(STEPS):
    pb = rigs[rnd.randrange(len(rigs))].pose.bones[rnd.randrange(50)]
    pb.location.y += 0.01
    bpy.context.view_layer.update()
    addon.pump()
    time.sleep(0.003)
result = runtime.handler_times; runtime.handler_times = None`

const PIPE_COUNTS = `a = session.agent; result = {'to_agent_lines': a.lines_out, 'to_agent_bytes': a.bytes_out, 'from_agent_lines': a.lines_in, 'from_agent_bytes': a.bytes_in}`

type Pipe = { to_agent_lines: number; to_agent_bytes: number; from_agent_lines: number; from_agent_bytes: number }

const diff = (a: Pipe, b: Pipe): Pipe => ({
  to_agent_lines: b.to_agent_lines - a.to_agent_lines,
  to_agent_bytes: b.to_agent_bytes - a.to_agent_bytes,
  from_agent_lines: b.from_agent_lines - a.from_agent_lines,
  from_agent_bytes: b.from_agent_bytes - a.from_agent_bytes,
})

/** The add-on as it is at git ref ``ref``, extracted into ``dir``; returns its folder. */
function addonAt(ref: string, dir: string): string {
  const out = path.join(dir, `addon-${ref.replace(/[^\w.-]/g, '_')}`)
  execFileSync('mkdir', ['-p', out])
  execFileSync('sh', ['-c', `git -C "$0" archive "$1" blender_addon | tar -x -C "$2"`, ROOT, ref, out])
  return path.join(out, 'blender_addon')
}

async function runScaleParts(blender: string, dir: string): Promise<Record<string, unknown>> {
  const port = await freePort()
  const server = await Server.start(port, path.join(dir, 'data-scale'))
  try {
    const after = await runScale({ blender, dir, serverUrl: server.ws, label: 'this' })
    const ref = process.env.SCENESYNC_BENCH_BASELINE
    if (!ref) return after
    const before = await runScale({ blender, dir, serverUrl: server.ws, label: ref, addonPath: addonAt(ref, dir) })
    const ratio = (a: number, b: number) => round(b / a, 2)
    return {
      ...after,
      baseline: { ref, ...before },
      speedup_vs_baseline: {
        pump_p50: ratio(after.pump_ms_p50_5000_objects, before.pump_ms_p50_5000_objects),
        pump_p99: ratio(after.pump_ms_p99_5000_objects, before.pump_ms_p99_5000_objects),
        capture_p50: ratio(after.capture_ms_p50_5000_objects, before.capture_ms_p50_5000_objects),
        rig_pump_p50: ratio(after.rigs.pump_ms.p50, before.rigs.pump_ms.p50),
        rig_pump_p99: ratio(after.rigs.pump_ms.p99, before.rigs.pump_ms.p99),
        pump_per_message: after.objects.pump_us_per_message && before.objects.pump_us_per_message ? ratio(after.objects.pump_us_per_message, before.objects.pump_us_per_message) : null,
      },
    }
  } finally {
    await server.stop()
  }
}

export async function runBlender(): Promise<Record<string, unknown>> {
  const blender = findBlender()
  if (!blender) throw new Error('the blender benchmark needs Blender: put blender on PATH or set SCENESYNC_BLENDER')
  const load = () => os.loadavg().map((v) => round(v, 2))
  if (process.env.SCENESYNC_BENCH_BLENDER === 'scale') {
    const dir = tmpDir('scenesync-bench-blender-')
    try {
      const loadBefore = load()
      const scale = await runScaleParts(blender, dir)
      return { bench: 'blender', cpus: os.cpus().length, loadavg_before: loadBefore, loadavg_after: load(), ...scale }
    } finally {
      rmTmp(dir)
    }
  }
  const dir = tmpDir('scenesync-bench-blender-')
  const port = await freePort()
  const room = `bench-${process.pid}`
  let A: Blender | undefined
  let B: Blender | undefined
  let server: Server | undefined
  const tap = await startWireTap(port)
  try {
    log('starting the server and two headless Blenders')
    ;[server, A, B] = await Promise.all([
      Server.start(port, path.join(dir, 'data')),
      Blender.start('A', { blender, userScripts: path.join(dir, 'scripts-A') }),
      Blender.start('B', { blender, userScripts: path.join(dir, 'scripts-B') }),
    ])
    const version = await A.cmd<string>('eval', { expr: 'bpy.app.version_string' })
    for (const [b, name, url] of [[A, 'A', `ws://127.0.0.1:${tap.port}`], [B, 'B', server.ws]] as const) {
      await b.cmd('config', { server_url: url, room, display_name: name, agent_command: agentCommand(path.join(dir, `journal-${name}`)) })
      await b.cmd('connect', {}, 60_000)
    }

    log(`latency: A moves an object ${RATE} times a second for ${LATENCY_SECONDS} s`)
    const id = await A.exec<string>(`o = new_object('Probe', 'EMPTY'); tick(); result = getattr(o, PROP)`)
    await B.until('obj(ID) is not None', { ID: id })
    const n = RATE * LATENCY_SECONDS
    const listening = B.cmd<Record<string, number>>('exec', { code: LISTENER, vars: { ID: id, SECONDS: LATENCY_SECONDS + 3 } }, (LATENCY_SECONDS + 30) * 1000)
    const sent = await A.cmd<Record<string, number>>('exec', { code: MOVER, vars: { ID: id, N: n, RATE } }, (LATENCY_SECONDS + 30) * 1000)
    const seen = await listening
    const lat = Object.entries(sent).flatMap(([k, t]) => (seen[k] !== undefined ? [seen[k]! - t] : []))

    log('handler overhead: 1,000 objects')
    await A.exec(MANY_OBJECTS)
    await A.cmd('barrier', { timeout: 60 })
    await B.until(`len(bpy.context.scene.objects) >= 1001`, {}, 120)
    const objTimes = await A.cmd<number[]>('exec', { code: MOVE_RANDOM_OBJECTS, vars: { STEPS } }, 120_000)

    log('handler overhead: 10 armatures of 50 bones')
    await A.exec(ARMATURES)
    await A.cmd('barrier', { timeout: 60 })
    await B.until(`len([o for o in bpy.context.scene.objects if o.type == 'ARMATURE']) >= 10`, {}, 120)
    const boneTimes = await A.cmd<number[]>('exec', { code: POSE_RANDOM_BONES, vars: { STEPS } }, 120_000)

    log(`idle: ${IDLE_SECONDS} s with nobody editing`)
    await Promise.all([A.cmd('run', { seconds: 2 }), B.cmd('run', { seconds: 2 })])
    tap.reset()
    const [a0, b0] = await Promise.all([A.exec<Pipe>(PIPE_COUNTS), B.exec<Pipe>(PIPE_COUNTS)])
    await Promise.all([A.cmd('run', { seconds: IDLE_SECONDS }, (IDLE_SECONDS + 30) * 1000), B.cmd('run', { seconds: IDLE_SECONDS }, (IDLE_SECONDS + 30) * 1000)])
    const wire = tap.counts()
    const [a1, b1] = await Promise.all([A.exec<Pipe>(PIPE_COUNTS), B.exec<Pipe>(PIPE_COUNTS)])
    await Promise.all([A.kill(), B.kill()])

    log('scale: 5,000 objects and 20 rigs × 100 bones under 1,000 updates/s from 16 peers')
    const loadBefore = os.loadavg().map((v) => round(v, 2))
    const scale = await runScaleParts(blender, dir)

    return {
      bench: 'blender',
      blender: version,
      cpus: os.cpus().length,
      latency_a_to_b_ms: { ...ms(lat), moves_per_s: RATE, sent: Object.keys(sent).length, applied: lat.length },
      handler_ms_1000_objects: { ...ms(objTimes), target_p50: 1 },
      handler_ms_10_armatures_50_bones: ms(boneTimes),
      idle_20s: {
        seconds: IDLE_SECONDS,
        wire_a_up: wire.up,
        wire_a_down: wire.down,
        pipe_a: diff(a0, a1),
        pipe_b: diff(b0, b1),
      },
      loadavg_before_scale: loadBefore,
      loadavg_after_scale: os.loadavg().map((v) => round(v, 2)),
      ...scale,
    }
  } finally {
    await Promise.all([A?.kill(), B?.kill()])
    await server?.stop()
    await tap.close()
    rmTmp(dir)
  }
}
