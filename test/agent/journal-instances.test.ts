/**
 * Journals per file, locked, through real agent processes: a second agent on
 * the same file and room is told it keeps a journal of its own, and the
 * journal of an agent that died (its Blender crashed before the file was
 * saved, so the next one has another file id) is taken in, its offline edits
 * sent ([B3]).
 */
import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { AgentProcess, type Msg, freePort } from '../helpers/agent-process.js'
import { type ServerProcess, spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

const X = (location: number[]) => ({ mode: 'XYZ', location, rotation: [0, 0, 0], scale: [1, 1, 1] })
const synced = (m: Msg) => m.type === 'status' && m.status === 'synced'
const journals = (d: string) => fs.readdirSync(d).filter((f) => f.endsWith('.journal')).sort()

const cleanup: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!()
})

function start(url: string, name: string, journal: string, fileId: string): AgentProcess {
  const a = AgentProcess.start(url, 'studio', name, journal, ['--file-id', fileId])
  cleanup.push(() => a.kill())
  return a
}

describe('agent journals per file', () => {
  it('[B3] a second agent on the same file and room keeps its own journal and says so', async () => {
    const dir = tmpDir()
    const journal = tmpDir()
    cleanup.push(() => rmTmp(dir), () => rmTmp(journal))
    const srv = await spawnServer(dir)
    cleanup.push(() => srv.kill('SIGTERM'))
    const a = start(srv.url, 'Ann', journal, 'scene-1')
    await a.waitFor(synced, 'A synced')
    const b = start(srv.url, 'Ann again', journal, 'scene-1')
    const notice = await b.waitFor((m) => m.type === 'notice', 'B is told')
    expect(notice.message).toMatch(new RegExp(`^Another Blender \\(agent pid ${a.child.pid}\\) has this file open in room "studio"\\. This one keeps its offline edits in a journal of its own`))
    await b.waitFor(synced, 'B synced')
    expect(journals(journal)).toHaveLength(2)
    expect(a.of('notice')).toEqual([])
  })

  it('[B3] the journal of an agent that died is taken in by the next one, whatever its file, and its offline edits reach the room', async () => {
    const port = await freePort()
    const dir = tmpDir()
    const journal = tmpDir()
    cleanup.push(() => rmTmp(dir), () => rmTmp(journal))
    let srv: ServerProcess = await spawnServer(dir, [], port)
    cleanup.push(() => srv.kill('SIGTERM'))
    const a = start(srv.url, 'Ann', journal, 'unsaved-scene')
    await a.waitFor(synced, 'A synced')
    a.send({ op: 'upsert', id: 'o', name: 'O', type: 'EMPTY', xform: X([0, 0, 0]) })
    await new Promise((r) => setTimeout(r, 300))
    await srv.kill('SIGKILL')
    await a.waitFor((m) => m.type === 'status' && m.status === 'offline', 'A offline')
    a.send({ op: 'xform', id: 'o', xform: X([6, 6, 6]) })
    await new Promise((r) => setTimeout(r, 400)) // journaled and fsynced
    await a.kill('SIGKILL') // its lock stays behind, with a pid that is gone
    // Blender crashed before the file was saved: the next one has a new scene id.
    const b = start(srv.url, 'Ann', journal, 'new-scene')
    b.send({ op: 'scene', req: 1 })
    const scene = await b.waitFor((m) => m.type === 'scene' && m.req === 1, 'B\'s scene')
    expect((scene.objects as Array<{ id: string; xform: ReturnType<typeof X> }>).find((o) => o.id === 'o')?.xform.location).toEqual([6, 6, 6])
    expect(journals(journal), 'the dead agent\'s journal is gone, taken into B\'s').toHaveLength(1)
    srv = await spawnServer(dir, [], port)
    cleanup.push(() => srv.kill('SIGTERM'))
    const other = tmpDir()
    cleanup.push(() => rmTmp(other))
    const c = start(srv.url, 'Cy', other, 'elsewhere')
    await c.waitFor((m) => (m.type === 'scene' && (m.objects as Array<{ id: string; xform: ReturnType<typeof X> }>).some((o) => o.id === 'o' && o.xform.location[0] === 6)) ||
      (m.type === 'object' && m.id === 'o' && (m.xform as ReturnType<typeof X>).location[0] === 6), 'the offline move reached the room', 20_000)
  })
})
