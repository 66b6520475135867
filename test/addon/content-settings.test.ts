/**
 * The add-on's list of synced settings per data-block kind
 * (blender_addon/scenesync/core/content_settings.py) and the doc's schema
 * (src/crdt/data-settings.ts) name the same keys: a setting one side sends and
 * the other does not know would be dropped or refused.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { COLLECTION_FLAGS, DATA_SETTINGS } from '../../src/crdt/index.js'

const ROOT = path.resolve(import.meta.dirname, '..', '..')

describe('synced settings', () => {
  it('the add-on and the doc schema list the same settings for every kind, and the same collection flags', () => {
    const r = spawnSync('python3', ['-c', `
import json, sys
sys.path.insert(0, sys.argv[1])
from core import content_settings as S
print(json.dumps({'settings': {k: [key for key, _ in v] for k, v in S.SETTINGS.items()}, 'flags': list(S.COLLECTION_FLAGS)}))`, path.join(ROOT, 'blender_addon', 'scenesync')], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const py = JSON.parse(r.stdout) as { settings: Record<string, string[]>; flags: string[] }
    expect(Object.keys(py.settings).sort()).toEqual(Object.keys(DATA_SETTINGS).sort())
    for (const [kind, keys] of Object.entries(DATA_SETTINGS)) expect([...py.settings[kind]!].sort(), kind).toEqual(Object.keys(keys).sort())
    expect(py.flags.sort()).toEqual([...COLLECTION_FLAGS].sort())
  })
})
