/**
 * The Blender half of `npm run bench -- history`: the History panel in a real
 * headless Blender (`blender -b`), reading the history bench's log through a
 * real `scenesync serve` on its data folder, pumped directly as bench/blender.ts
 * does (timers do not run headless).
 *
 * - preview: 1,000 objects (the log's, with their ids and names). The slider
 *   is set to a random moment (as releasing it does: its update callback
 *   runs); the time runs until the scene at that moment is fetched, written
 *   to the objects and the view layer evaluated (what the viewport draws).
 *   p50 over 30 moments after 3 to warm up, with the fetch and the write
 *   apart so a loaded machine can be told from slow code.
 * - bake: 100 of those objects over the whole log (about 1,000 samples each
 *   on the full log), through the panel's Bake operator: from the button to
 *   the last action written, fetching included.
 *
 * The Blender has no agent (it is not connected): history reads need only the
 * server's HTTP API, and nothing here edits.
 */
import path from 'node:path'
import { Blender, findBlender, freePort } from '../test/e2e/blender-harness.js'
import { spawnServer } from '../test/helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../test/helpers/tmp.js'
import type { HistoryBenchContext, HistoryPhase } from './history.js'
import { percentile, round, summarize } from './stats.js'

const PREVIEWS = 30
const WARM = 3
const BAKE_OBJECTS = 100

const SETUP = `
import json
for i, oid in enumerate(IDS):
    name = 'Proxy.%04d' % i
    data = bpy.data.armatures.new(name) if i % 50 == 0 else None
    o = bpy.data.objects.new(name, data)
    bpy.context.scene.collection.objects.link(o)
    o.scenesync_id = oid
bpy.context.view_layer.update()
p = prefs_of()
p.server_url, p.room = URL, ROOM
addon.history.load()
result = len(bpy.context.scene.objects)`

const PREVIEW = `
import random
H = addon.history.H
props = bpy.context.window_manager.scenesync_history
rnd = random.Random(5)
out = []
for k in range(N):
    t = H.span.start + rnd.random() * (H.span.end - H.span.start)
    n0 = H.previews_shown
    t0 = time.perf_counter()
    props.position = H.span.factor(t)          # the slider released at t
    while H.previews_shown == n0:
        if H.error:
            raise RuntimeError(H.error)
        addon.pump()
        time.sleep(0.0005)
    bpy.context.view_layer.update()            # what the viewport draws, evaluated
    out.append({'ms': (time.perf_counter() - t0) * 1000, 'fetch_ms': H.last_timing['fetch_ms'],
                'apply_ms': H.last_timing['apply_ms'], 'written': H.last_timing['written']})
addon.history.leave()
result = out`

const BAKE = `
H = addon.history.H
objs = [o for o in bpy.context.scene.objects if o.scenesync_id][:K]
select_only(*objs)
p = bpy.context.window_manager.scenesync_history
p.selected_only, p.resample, p.assign = True, False, False
H.range = [None, None]
t0 = time.perf_counter()
r = bpy.ops.scenesync.history_bake()
if 'FINISHED' not in r:
    raise RuntimeError(H.error)
while H.bake is not None:
    addon.pump()
    time.sleep(0.0005)
s = time.perf_counter() - t0
j = H.last_bake
if H.error:
    raise RuntimeError(H.error)
# A spot check that the keys are the log's: each action's last location key against its last sample.
result = {'s': s, 'objects': len(objs), 'actions': len(j.actions), 'keys': j.keys, 'samples': j.samples,
          'fetch_s': (j.fetched_at - j.began) if j.fetched_at else None, 'skipped': len(j.skipped)}`

async function withBlender<T>(ctx: HistoryBenchContext, run: (b: Blender) => Promise<T>): Promise<T> {
  const blender = findBlender()
  if (!blender) throw new Error('the history benchmark\'s Blender phases need Blender: put blender on PATH or set SCENESYNC_BLENDER')
  const dir = tmpDir('scenesync-bench-history-blender-')
  const port = await freePort()
  ctx.say(`serving ${ctx.data} on port ${port}, starting a headless Blender ...`)
  const server = await spawnServer(ctx.data, ['--skip-check'], port)
  let b: Blender | undefined
  try {
    b = await Blender.start('H', { blender, userScripts: path.join(dir, 'scripts') })
    await b.exec(`prefs_of = __import__('scenesync.props', fromlist=['prefs']).prefs`)
    const n = await b.cmd<number>('exec', { code: SETUP, vars: { IDS: ctx.objectIds, URL: `ws://127.0.0.1:${port}`, ROOM: ctx.room } }, 120_000)
    if (n !== ctx.objectIds.length) throw new Error(`Blender holds ${n} objects, expected ${ctx.objectIds.length}`)
    await b.until('addon.history.H.loaded or addon.history.H.error', {}, 120)
    const err = await b.cmd<string>('eval', { expr: 'addon.history.H.error' })
    if (err) throw new Error(`the History panel could not load the log: ${err}`)
    return await run(b)
  } finally {
    await b?.kill()
    await server.kill('SIGTERM')
    rmTmp(dir)
  }
}

export const blenderPreview: HistoryPhase = (ctx) =>
  withBlender(ctx, async (b) => {
    ctx.say(`preview: ${PREVIEWS} random moments of ${ctx.objectIds.length} objects`)
    const runs = await b.cmd<Array<{ ms: number; fetch_ms: number; apply_ms: number; written: number }>>('exec', { code: PREVIEW, vars: { N: PREVIEWS + WARM } }, 300_000)
    const timed = runs.slice(WARM)
    const s = summarize(timed.map((r) => r.ms))
    return {
      preview_objects: ctx.objectIds.length,
      preview_ms: round(s.p50, 1),
      preview_ms_p90: round(percentile(timed.map((r) => r.ms).sort((x, y) => x - y), 90), 1),
      preview_ms_max: round(s.max, 1),
      preview_fetch_ms_p50: round(summarize(timed.map((r) => r.fetch_ms)).p50, 1),
      preview_apply_ms_p50: round(summarize(timed.map((r) => r.apply_ms)).p50, 1),
      preview_objects_written_p50: Math.round(summarize(timed.map((r) => r.written)).p50),
    }
  })

export const blenderBake: HistoryPhase = (ctx) =>
  withBlender(ctx, async (b) => {
    ctx.say(`bake: ${BAKE_OBJECTS} objects over the whole log`)
    const r = await b.cmd<{ s: number; objects: number; actions: number; keys: number; samples: number; fetch_s: number | null; skipped: number }>(
      'exec',
      { code: BAKE, vars: { K: BAKE_OBJECTS } },
      600_000,
    )
    if (r.actions !== r.objects) throw new Error(`the bake wrote ${r.actions} actions for ${r.objects} objects`)
    return {
      bake_objects: r.objects,
      bake_samples: r.samples,
      bake_samples_per_object: Math.round(r.samples / Math.max(1, r.objects)),
      bake_keys: r.keys,
      bake_100x1000_s: round(r.s, 2),
      bake_fetch_s: r.fetch_s === null ? null : round(r.fetch_s, 2),
    }
  })
