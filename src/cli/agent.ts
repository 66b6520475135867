/**
 * `scenesync agent`'s flags (docs/agent-protocol.md): the same command runs
 * from the `scenesync` package and as the agent bundled in the Blender add-on
 * (agent-main.ts).
 */
import os from 'node:os'
import path from 'node:path'
import { Command, Option } from 'commander'
import type { AgentRunOptions } from '../agent/main.js'
import { logLevelOption, required } from './command-line.js'

interface AgentFlags {
  url: string
  room: string
  token?: string
  name?: string
  color?: string
  journalDir: string
  fileId: string
  geometryDir?: string
  logLevel: string
}

function userName(): string {
  try {
    return os.userInfo().username
  } catch {
    return 'someone' // no user name in some sandboxes and services
  }
}

export function agentCommand(action: (o: AgentRunOptions, logLevel: string) => Promise<void>, name = 'agent'): Command {
  return new Command(name)
    .summary('the bridge process the Blender add-on starts')
    .description('The bridge process the Blender add-on starts: it holds the room\'s Y.Doc behind the stock y-websocket client and talks JSON lines on stdin and stdout (docs/agent-protocol.md). It exits when stdin closes.')
    .usage('--url ws://host:port --room ROOM [--token T] [--name NAME] [--color CSS] [--journal-dir DIR] [--file-id ID] [--geometry-dir DIR]')
    .addOption(required(new Option('--url <url>', 'the server, ws://host:port').env('SCENESYNC_URL')))
    .addOption(required(new Option('--room <room>', 'the room').env('SCENESYNC_ROOM')))
    .addOption(new Option('--token <token>', 'access token (the add-on passes it in the environment, not on the command line)').env('SCENESYNC_TOKEN'))
    .addOption(new Option('--name <name>', 'how others see you (default: the OS user name)').env('SCENESYNC_NAME'))
    .option('--color <css>', 'your presence color (default: derived from the name)')
    .addOption(new Option('--journal-dir <dir>', 'where unsent edits are kept').env('SCENESYNC_JOURNAL_DIR').default(path.join(os.homedir(), '.cache', 'scenesync')))
    .option('--file-id <id>', 'the id of the Blender scene the session is bound to; names its journal', '')
    .addOption(new Option('--geometry-dir <dir>', 'where large geometry waits for its upload (default: <journal-dir>/geometry)').env('SCENESYNC_GEOMETRY_DIR'))
    .addOption(logLevelOption())
    .action((f: AgentFlags) =>
      action(
        {
          url: f.url,
          room: f.room,
          name: f.name ?? userName(),
          journalDir: f.journalDir,
          fileId: f.fileId,
          ...(f.geometryDir ? { geometryDir: f.geometryDir } : {}),
          ...(f.token ? { token: f.token } : {}),
          ...(f.color ? { color: f.color } : {}),
        },
        f.logLevel,
      ),
    )
}
