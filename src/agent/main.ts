/**
 * The agent process the Blender add-on starts (`scenesync agent`, or the
 * bundled agent in the add-on; flags in src/cli/agent.ts). Reads ops from
 * stdin, writes messages to stdout, one JSON object per line
 * (docs/agent-protocol.md). A bad line gets an error line back; the agent
 * keeps running. It exits when stdin closes.
 */
import crypto from 'node:crypto'
import path from 'node:path'
import readline from 'node:readline'
import type { Logger } from '../logger.js'
import { Agent } from './agent.js'
import { ProtocolError, parseLine, type Outbound } from './agent-protocol.js'

export interface AgentRunOptions {
  url: string
  room: string
  token?: string
  name: string
  color?: string
  journalDir: string
  /** The id of the Blender scene the session is bound to ('' for none): it names the journal. */
  fileId: string
  /** Where geometry too big for one message waits for its upload (default: <journalDir>/geometry). */
  geometryDir?: string
}

const hash = (s: string) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 16)

/** Every journal of one room of one server starts with this (journal-lock.ts). */
export function roomJournalKey(url: string, room: string): string {
  return hash(`${url}\u0000${room}`)
}

/** The journal key of one file (`fileId`, kept in the .blend) in one room of one server. */
export function journalKey(url: string, room: string, fileId: string): string {
  return `${roomJournalKey(url, room)}-${hash(fileId)}`
}

export async function runAgent(o: AgentRunOptions, logger: Logger): Promise<number> {
  const { url, room, token, color } = o
  const emit = (m: Outbound) => process.stdout.write(JSON.stringify(m) + '\n')
  const agent = new Agent({
    url,
    room,
    name: o.name,
    journalDir: o.journalDir,
    journalKey: journalKey(url, room, o.fileId),
    roomJournalKey: roomJournalKey(url, room),
    geometryDir: o.geometryDir ?? path.join(o.journalDir, 'geometry'),
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
