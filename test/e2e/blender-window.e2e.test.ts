/**
 * The add-on in a Blender with a real window (under xvfb-run), where nothing
 * is pumped by hand: the persistent timer applies remote changes, Blender's own
 * event loop runs the depsgraph handler, and the presence overlay is drawn by
 * its gpu draw handler. A headless Blender is the other side.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmTmp, tmpDir } from '../helpers/tmp.js'
import { Blender, Server, agentCommand, findBlender, freePort, hasXvfb } from './blender-harness.js'

const BLENDER = findBlender()
const REQUIRED = process.env.SCENESYNC_REQUIRE_BLENDER === '1'
const XVFB = hasXvfb()
const SKIP = (!BLENDER && !REQUIRED) || (!!BLENDER && !XVFB)
if (SKIP) {
  process.stderr.write(`skipping the windowed Blender test: ${!BLENDER ? 'no blender on PATH' : 'no xvfb-run on PATH'}\n`)
}

const ROOM = `window-${process.pid}`

describe('Blender add-on with a real window (timers, event loop, overlay)', () => {
  let dir: string
  let server: Server
  let A: Blender
  let W: Blender

  beforeAll(async () => {
    if (SKIP) return
    if (!BLENDER) throw new Error('SCENESYNC_REQUIRE_BLENDER=1 but Blender was not found: install it (Debian: apt-get install blender) or set SCENESYNC_BLENDER to its path')
    dir = tmpDir('scenesync-blender-window-')
    const port = await freePort()
    ;[server, A, W] = await Promise.all([
      Server.start(port, path.join(dir, 'data')),
      Blender.start('A', { blender: BLENDER, userScripts: path.join(dir, 'scripts-A') }),
      Blender.start('W', { blender: BLENDER, userScripts: path.join(dir, 'scripts-W'), gui: true }),
    ])
    for (const [b, name] of [[A, 'A'], [W, 'W']] as const) {
      await b.cmd('config', { server_url: server.ws, room: ROOM, display_name: name, agent_command: agentCommand(path.join(dir, `journal-${name}`)) })
      await b.cmd('connect', {}, 60_000)
    }
  }, 150_000)

  afterAll(async () => {
    if (SKIP) return
    await Promise.all([A?.kill(), W?.kill()])
    await server?.stop()
    if (dir) rmTmp(dir)
  })

  it.skipIf(SKIP)('[B1] with timers running, moves go both ways without any manual pump, and peers\' selections are drawn', async () => {
    expect(await W.cmd('eval', { expr: 'bpy.app.background' })).toBe(false)
    const id = await A.exec<string>(`o = new_object('Box'); o.location = (1, 2, 3); tick(); result = getattr(o, PROP)`)
    await W.until(`obj(ID) is not None and tuple(obj(ID).location) == (1.0, 2.0, 3.0)`, { ID: id }, 30)
    // In the window, the edit is picked up by the depsgraph handler that Blender's event loop runs.
    await W.exec(`obj(ID).location = (4, 5, 6)`, { ID: id })
    await A.until(`tuple(obj(ID).location) == (4.0, 5.0, 6.0)`, { ID: id }, 30)
    await A.exec(`obj(ID).select_set(True); bpy.context.view_layer.objects.active = obj(ID)`, { ID: id })
    await W.until(`[p for p in session.peers if ID in p['selection']]`, { ID: id }, 30)
    await W.until(`addon.presence.drawn['boxes'] > 0`, {}, 30)
    expect(await W.cmd('eval', { expr: 'session.error' })).toBe('')
  })
})
