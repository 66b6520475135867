import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SqliteEventLog } from '../src/log/sqlite-event-log.js'
import { Projector } from '../src/projection/projector.js'
import { openDatabase } from '../src/projection/sql.js'
import { makeWorkload } from './scene-workload.js'
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prof-'))
const w = makeWorkload({ objects: 1000, transformUpdates: 100000, editors: 8 })
const log = SqliteEventLog.open(dir, { durability: 'full' })
const db = openDatabase(path.join(dir, 'p.sqlite'))
const pr = new Projector(log, db)
await log.append('b', w.setup.map((u) => ({ update: u.update, origin: { client: u.client, user: 'e' } })))
const mode = process.argv[2]
if (mode === 'live') pr.start()
const { Session } = await import('node:inspector/promises')
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.start')
const t = performance.now()
for (let i = 0; i < w.updates.length; i += 64) await Promise.all(w.updates.slice(i, i + 64).map((u) => log.append('b', [{ update: u.update, origin: { client: u.client, user: 'e' } }])))
console.log('append ms', performance.now() - t)
const { profile } = await s.post('Profiler.stop') as any
const self = new Map<string, number>()
const dt = profile.timeDeltas; const ids = profile.samples
const byId = new Map(profile.nodes.map((n: any) => [n.id, n]))
for (let i = 0; i < ids.length; i++) { const n: any = byId.get(ids[i]); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + dt[i]) }
const tot = [...self.values()].reduce((a, b) => a + b, 0)
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / tot * 100).toFixed(1).padStart(5), k)
await pr.stop()
fs.rmSync(dir, { recursive: true })
