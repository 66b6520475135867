/**
 * Choosing the FoundationDB store: the binding is imported only by
 * `openFdbEventLog`, and a missing binding or libfdb_c is one clear line.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { START } from '../../src/log/event-log.js'
import { makeUpdates } from '../../src/log/event-log-contract.js'
import { describeLoadFailure, FDB_API_VERSION, FdbUnavailableError, openFdbEventLog } from '../../src/fdb/open.js'
import { FakeFdb } from './fake-fdb.js'

function failWith(message: string, code?: string): () => Promise<never> {
  return async () => {
    throw Object.assign(new Error(message), code ? { code } : {})
  }
}

async function unavailable(load: () => Promise<unknown>): Promise<FdbUnavailableError> {
  const err = await openFdbEventLog({}, load).then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(FdbUnavailableError)
  const e = err as FdbUnavailableError
  expect(e.code).toBe('fdb_unavailable')
  expect(e.message).not.toMatch(/\n/)
  expect(e.message).toMatch(/FoundationDB 7\.3 client/)
  expect(e.message).toMatch(/foundationdb-clients/)
  expect(e.message).toMatch(/npm install foundationdb/)
  return e
}

describe('opening the FoundationDB store', () => {
  it('without the npm package: one line saying the package is missing and how to install client and package', async () => {
    const e = await unavailable(failWith("Cannot find package 'foundationdb' imported from /app/dist/fdb/open.js", 'ERR_MODULE_NOT_FOUND'))
    expect(e.message).toMatch(/^FoundationDB store unavailable: the foundationdb npm package is not installed; install/)
  })

  it('without libfdb_c: one line naming the client library, even when the loader error spans lines', async () => {
    const e = await unavailable(failWith('libfdb_c.so: cannot open shared object file: No such file or directory\n    at Module._extensions..node', 'ERR_DLOPEN_FAILED'))
    expect(e.message).toMatch(/libfdb_c, the FoundationDB client library, could not be loaded \(libfdb_c\.so: cannot open shared object file/)
  })

  it('with a client too old for the API version: one line saying so', async () => {
    const e = await unavailable(async () => ({
      setAPIVersion: () => {
        throw new Error('API version not supported by the installed FoundationDB C library')
      },
      open: () => null,
    }))
    expect(e.message).toContain(`does not support API version ${FDB_API_VERSION}`)
    expect(describeLoadFailure(new Error('something else\nentirely'))).toBe('the foundationdb binding failed to load (something else entirely)')
  })

  it('with the binding present: sets the API version, opens the cluster file and serves the log', async () => {
    const db = new FakeFdb()
    const calls: unknown[] = []
    const binding = { setAPIVersion: (v: number) => calls.push(['api', v]), open: (file?: string) => (calls.push(['open', file]), db) }
    // The binding is CommonJS: an ESM import of it may put the API under `default`.
    const log = await openFdbEventLog({ clusterFile: '/etc/foundationdb/fdb.cluster', prefix: 'opened' }, async () => ({ default: binding }))
    expect(calls).toEqual([['api', FDB_API_VERSION], ['open', '/etc/foundationdb/fdb.cluster']])
    const [u] = makeUpdates(1)
    const [c] = await log.append('r', [{ update: u!, origin: { client: 1, user: 'ann' } }])
    expect((await log.readRoom('r', START)).map((e) => e.cursor)).toEqual([c])
    await log.close()
  })

  it('a cluster file the binding cannot open is named in the error', async () => {
    const binding = {
      setAPIVersion: () => {},
      open: () => {
        throw Object.assign(new Error('No cluster file found'), { code: 1515 })
      },
    }
    await expect(openFdbEventLog({ clusterFile: '/nope/fdb.cluster' }, async () => binding)).rejects.toMatchObject({
      code: 'fdb_open_failed',
      message: 'could not open FoundationDB with /nope/fdb.cluster: No cluster file found',
    })
  })

  it('no source file imports the binding statically: the default path never loads it', () => {
    const offenders: string[] = []
    const walk = (dir: string) => {
      for (const f of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, f.name)
        if (f.isDirectory()) walk(p)
        else if (/\.[cm]?[jt]s$/.test(f.name)) {
          const text = fs.readFileSync(p, 'utf8')
          if (/from\s+['"]foundationdb['"]|import\s*\(\s*['"]foundationdb['"]|require\s*\(\s*['"]foundationdb['"]|import\s+['"]foundationdb['"]/.test(text)) offenders.push(p)
        }
      }
    }
    walk(path.resolve('src'))
    expect(offenders).toEqual([])
  })
})
