/**
 * The EventLog contract against a real FoundationDB cluster, when there is
 * one: `FDB_CLUSTER_FILE=/etc/foundationdb/fdb.cluster npx vitest run test/fdb`.
 * Without it, the suite is not registered at all (a skipped suite must not
 * read as a pass): one line says so, and the only test here checks what this
 * machine does have — the default path does not load the binding.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

if (process.env.FDB_CLUSTER_FILE) {
  await import('./real-cluster.fdb.js')
} else {
  console.log('FoundationDB contract suite did not run: FDB_CLUSTER_FILE is not set (no cluster on this machine)')

  describe('FoundationDB on this machine (no cluster)', () => {
    it('the default path does not load the binding, and choosing FoundationDB fails with one line (fdb_unavailable)', async () => {
      const require = createRequire(import.meta.url)
      const loaded = () => Object.keys(require.cache).some((p) => p.includes(`${'/node_modules/foundationdb/'}`))
      await import('../../src/log/index.js')
      const fdbModule = await import('../../src/fdb/index.js')
      expect(loaded()).toBe(false)
      let installed = true
      try {
        require.resolve('foundationdb')
      } catch {
        installed = false
      }
      if (installed) return // Binding and client present but no cluster named: nothing more to check without one.
      const err = await fdbModule.openFdbEventLog().then(() => null, (e: unknown) => e)
      expect(err).toMatchObject({ code: 'fdb_unavailable' })
      expect((err as Error).message.split('\n')).toHaveLength(1)
      expect((err as Error).message).toMatch(/^FoundationDB store unavailable: the foundationdb npm package is not installed; .*npm install foundationdb/)
    })
  })
}
