import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SqliteEventLog } from '../src/log/sqlite-event-log.js'
import { rebuildProjection } from '../src/projection/rebuild.js'
import { makeWorkload } from './scene-workload.js'
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prof-'))
const w = makeWorkload({ objects: 1000, transformUpdates: 100000, editors: 8 })
const log = SqliteEventLog.open(dir, { durability: 'normal' })
await log.append('b', w.setup.map((u) => ({ update: u.update, origin: { client: u.client, user: 'e' } })))
for (let i = 0; i < w.updates.length; i += 256) await log.append('b', w.updates.slice(i, i + 256).map((u) => ({ update: u.update, origin: { client: u.client, user: 'e' } })))
console.log('appended')
const { Session } = await import('node:inspector/promises')
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.start')
const t = performance.now()
await rebuildProjection(log, path.join(dir, 'p.sqlite'))
console.log('rebuild ms', performance.now() - t)
const { profile } = await s.post('Profiler.stop') as any
// self time by function
const self = new Map<string, number>()
const dt = profile.timeDeltas; const ids = profile.samples
const byId = new Map(profile.nodes.map((n: any) => [n.id, n]))
for (let i = 0; i < ids.length; i++) { const n: any = byId.get(ids[i]); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + dt[i]) }
const tot = [...self.values()].reduce((a, b) => a + b, 0)
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((v / tot * 100).toFixed(1).padStart(5), k)
fs.rmSync(dir, { recursive: true })
