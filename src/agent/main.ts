/**
 * `scenesync agent --url --room --token --name`: the process the Blender
 * add-on starts. Reads ops from stdin, writes messages to stdout, one JSON
 * object per line (docs/agent-protocol.md). A bad line gets an error line back;
 * the agent keeps running. It exits when stdin closes.
 */
import crypto from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { flag, parseArgs, UsageError } from '../cli/args.js'
import type { Logger } from '../logger.js'
import { Agent } from './agent.js'
import { ProtocolError, parseLine, type Outbound } from './agent-protocol.js'

export const AGENT_HELP = 'scenesync agent --url ws://host:port --room ROOM [--token T] [--name NAME] [--color CSS] [--journal-dir DIR] [--file-id ID] [--geometry-dir DIR]'

const hash = (s: string) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 16)

/** Every journal of one room of one server starts with this (journal-lock.ts). */
export function roomJournalKey(url: string, room: string): string {
  return hash(`${url}\u0000${room}`)
}

/** The journal key of one file (`fileId`, kept in the .blend) in one room of one server. */
export function journalKey(url: string, room: string, fileId: string): string {
  return `${roomJournalKey(url, room)}-${hash(fileId)}`
}

export async function runAgent(argv: readonly string[], logger: Logger): Promise<number> {
  const p = parseArgs(argv, { values: ['url', 'room', 'token', 'name', 'color', 'journal-dir', 'file-id', 'geometry-dir'] })
  const url = flag(p, 'url', 'SCENESYNC_URL')
  const room = flag(p, 'room', 'SCENESYNC_ROOM')
  if (!url || !room) throw new UsageError(`--url and --room are required\n${AGENT_HELP}`)
  const dir = flag(p, 'journal-dir', 'SCENESYNC_JOURNAL_DIR', path.join(os.homedir(), '.cache', 'scenesync'))
  const emit = (m: Outbound) => process.stdout.write(JSON.stringify(m) + '\n')
  const token = flag(p, 'token', 'SCENESYNC_TOKEN')
  const color = p.flags.get('color')
  const agent = new Agent({
    url,
    room,
    name: flag(p, 'name', 'SCENESYNC_NAME', os.userInfo().username),
    journalDir: dir,
    journalKey: journalKey(url, room, p.flags.get('file-id') ?? ''),
    roomJournalKey: roomJournalKey(url, room),
    geometryDir: flag(p, 'geometry-dir', 'SCENESYNC_GEOMETRY_DIR', path.join(dir, 'geometry')),
    emit,
    logger,
    ...(token ? { token } : {}),
    ...(color ? { color } : {}),
  })
  logger.info('agent started', { url, room })
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  let n = 0
  for await (const line of rl) {
    n++
    if (line.trim() === '') continue
    let req: number | string | undefined
    try {
      const parsed = parseLine(line)
      req = parsed.req
      // Geometry ops finish once their chunks are uploaded; later lines wait, keeping their order.
      const done = agent.apply(parsed.op, req)
      if (done) await done
    } catch (e) {
      if (e instanceof ProtocolError) req = e.req
      emit({ type: 'error', message: `line ${n}: ${(e as Error).message}`, ...(req !== undefined ? { req } : {}) })
    }
  }
  agent.close()
  return 0
}
