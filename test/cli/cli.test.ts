import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { verifyToken } from '../../src/server/tokens.js'
import { ROOT, cliArgs, spawnServer } from '../helpers/spawn-server.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, cliArgs(...args), { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, SCENESYNC_SECRET: '' } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('scenesync command', () => {
  it('a second server on the same data folder is refused with a clear error (exit 3)', async () => {
    const dir = tmpDir()
    const first = await spawnServer(dir)
    try {
      const second = cli('serve', '--port', '0', '--data', dir)
      expect(second.code).toBe(3)
      expect(second.stderr).toMatch(/event log in .* is in use by another process \(pid \d+/)
    } finally {
      await first.kill('SIGTERM')
      rmTmp(dir)
    }
  })

  it('refuses a public bind without a secret, an unreadable key file (exit 5), and an unavailable FoundationDB store in one line (exit 4)', () => {
    const dir = tmpDir()
    try {
      const pub = cli('serve', '--host', '0.0.0.0', '--port', '0', '--data', dir)
      expect(pub.code).toBe(5)
      expect(pub.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a secret/)
      const keys = cli('serve', '--host', '0.0.0.0', '--port', '0', '--data', dir, '--jwks', `${dir}/absent-jwks.json`)
      expect(keys.code).toBe(5)
      expect(keys.stderr).toMatch(/--jwks .*absent-jwks\.json: no such file/)
      const fdb = cli('serve', '--store', 'fdb', '--port', '0', '--data', dir)
      expect(fdb.code).toBe(4)
      expect(fdb.stderr.trim().split('\n')).toHaveLength(1)
      expect(fdb.stderr).toMatch(/FoundationDB store unavailable: .*install the FoundationDB 7\.3 client/)
    } finally {
      rmTmp(dir)
    }
  })

  it('prints tokens the server accepts, and usage errors exit 2 naming the problem', async () => {
    const t = cli('token', '--room', 'studio-*', '--role', 'read', '--ttl', '1h', '--secret', 's3cret', '--name', 'Ann')
    expect(t.code).toBe(0)
    expect(await verifyToken('s3cret', t.stdout.trim(), 'studio-7')).toMatchObject({ role: 'read', name: 'Ann' })
    expect(cli('token', '--room', 'x', '--role', 'admin', '--secret', 's').stderr).toMatch(/--role must be read or write/)
    expect(cli('query', 'scene', '--room', 'r', '--at', 'yesterday-ish', '--data', tmpDir()).stderr).toMatch(/--at must be a log position|no projection/)
    const bad = cli('serve', '--prot', '1')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/unknown flag --prot/)
    expect(cli('frobnicate').code).toBe(2)
  })
})
