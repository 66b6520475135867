/**
 * The command line as people meet it: `--help` on every command and
 * subcommand, unknown flags named, the exit codes listed once (and the same in
 * the README), every environment variable documented, `--log-level`.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/cli/args.js'
import { HelpNeeded, prepare, run } from '../../src/cli/command-line.js'
import { EXIT_CODES } from '../../src/cli/exit-codes.js'
import { buildProgram } from '../../src/cli/program.js'
import { ROOT, cliArgs, spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

/** The program, in this process, with its output kept. */
function program(): { root: Command; out: () => string } {
  let text = ''
  const sink = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream
  const root = buildProgram({ stdout: sink, stderr: sink, setExitCode: () => {} })
  prepare(root, { out: (s) => (text += s) })
  return { root, out: () => text }
}

/** Every command path below the root: ['serve'], ['query', 'scene'], ... */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])])
}

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, cliArgs(...args), { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SCENESYNC_SECRET: '', ...env } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('the scenesync command line', () => {
  const paths = commandPaths(program().root)

  it('has every command and subcommand it always had', () => {
    expect(paths.map((p) => p.join(' ')).sort()).toEqual(
      ['agent', 'backup', 'check', 'export', 'project', 'query', 'query changes', 'query diff', 'query path', 'query scene', 'serve', 'token'].sort(),
    )
  })

  it('--help on every command and subcommand prints its synopsis first and every flag it takes', async () => {
    for (const p of paths) {
      const { root, out } = program()
      await run(root, [...p, '--help'])
      const text = out()
      expect(text.split('\n')[0], p.join(' ')).toMatch(new RegExp(`^scenesync ${p.join(' ')}\\b`))
      let cmd: Command = root
      for (const name of p) cmd = cmd.commands.find((c) => c.name() === name)!
      for (const o of cmd.options) expect(text, `${p.join(' ')} --help names ${o.long}`).toContain(o.long!)
      // `scenesync help <command>` says the same.
      if (p.length > 1) continue
      const again = program()
      await run(again.root, ['help', ...p])
      expect(again.out(), `help ${p.join(' ')}`).toBe(text)
    }
  })

  it('an unknown flag on any command is a usage error that names it, with a suggestion when one is close', async () => {
    for (const p of paths) {
      const { root } = program()
      const e = await run(root, [...p, '--no-such-flag']).catch((x: unknown) => x)
      expect(e, p.join(' ')).toBeInstanceOf(UsageError)
      expect((e as Error).message, p.join(' ')).toMatch(/^unknown flag --no-such-flag\n\nscenesync /)
    }
    const typo = await run(program().root, ['serve', '--prot', '1']).catch((x: unknown) => x as Error)
    expect(typo!.message.split('\n')[0]).toBe('unknown flag --prot (did you mean --port?)')
    const bare = await run(program().root, ['query']).catch((x: unknown) => x as Error)
    expect(bare).toBeInstanceOf(HelpNeeded)
    expect(bare!.message).toMatch(/^scenesync query <scene\|path\|diff\|changes>/)
  })

  it('the exit codes are listed once, shown by --help, and the README lists the same', async () => {
    const { root, out } = program()
    await run(root, ['--help'])
    for (const [code, meaning] of EXIT_CODES) expect(out()).toContain(`  ${code}  ${meaning}`)
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('### Exit codes'))
    const rows = [...section.matchAll(/^\| (\d) \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2]!.replaceAll('\\|', '|')])
    expect(rows).toEqual(EXIT_CODES.map(([c, m]) => [c, m]))
  })

  it('every environment variable a flag reads is in the README', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const envs = new Set<string>()
    const walk = (c: Command) => {
      for (const o of c.options) if (o.envVar) envs.add(o.envVar)
      c.commands.forEach(walk)
    }
    walk(program().root)
    expect(envs.size).toBeGreaterThan(10)
    for (const e of envs) expect(readme, e).toContain(e)
  })

  it('through the real command: --help exits 0 on stdout, no command exits 2 with the help on stderr, a bad value exits 2 naming it', () => {
    const help = cli(['serve', '--help'])
    expect([help.code, help.stdout.split('\n')[0]]).toEqual([0, 'scenesync serve [--host 127.0.0.1] [--port 1234] [--data ./data] [--store sqlite|fdb[:clusterfile]] [--secret S] [options]'])
    expect(help.stdout).toContain('env: SCENESYNC_PORT')
    const none = cli([])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^scenesync <command>/)
    expect(none.stderr).toContain('Exit codes:')
    const level = cli(['serve', '--log-level', 'loud'])
    expect([level.code, level.stderr.split('\n')[0]]).toEqual([2, 'scenesync: --log-level Allowed choices are debug, info, warn, error.'])
    const env = cli(['serve', '--port', '0'], { SCENESYNC_LOG_LEVEL: 'chatty' })
    expect([env.code, env.stderr.split('\n')[0]]).toEqual([2, 'scenesync: $SCENESYNC_LOG_LEVEL (for --log-level) Allowed choices are debug, info, warn, error.'])
    const port = cli(['serve', '--port', '-1'])
    expect([port.code, port.stderr.split('\n')[0]]).toEqual([2, 'scenesync: --port must be a non-negative integer, got "-1"'])
    expect(cli(['--version']).stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version)
  })

  it('--log-level (and SCENESYNC_LOG_LEVEL) decide which log lines serve writes', async () => {
    const dir = tmpDir()
    try {
      const lines = async (extra: string[]) => {
        const s = await spawnServer(dir, extra)
        await s.kill('SIGTERM')
        return s
          .stderr()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { level: number; msg: string })
      }
      const info = await lines([])
      expect(info.map((l) => l.msg)).toContain('scenesync listening')
      const warn = await lines(['--log-level', 'warn'])
      expect(warn.filter((l) => l.level < 40)).toEqual([])
      const debug = await lines(['--log-level', 'debug'])
      expect(debug.map((l) => l.msg)).toContain('scenesync listening')
    } finally {
      rmTmp(dir)
    }
  })
})
