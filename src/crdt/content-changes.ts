/**
 * What one Yjs transaction changed outside `objects`: which data blocks and
 * collections, whether the scene settings, which geometry chunks came or went.
 * The agent and the projector use it to look only at what changed (objects'
 * own keys, `data`, `materials` and `collections` included, are scene-changes.ts).
 */
import type * as Y from 'yjs'

export interface ContentChanges {
  /** Data-block id → its keys that changed, or 'all' when the block was (re)created or removed. */
  data: Map<string, Set<string> | 'all'>
  collections: Set<string>
  scene: boolean
  chunks: Set<string>
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Y.AbstractType is invariant in its event type
type AnyType = Y.AbstractType<any>

export interface ContentRoots {
  dataBlocks: AnyType
  collectionMaps: AnyType
  sceneMap: AnyType
  geometry: AnyType
}

export function emptyContentChanges(): ContentChanges {
  return { data: new Map(), collections: new Set(), scene: false, chunks: new Set() }
}

export function hasContentChanges(c: ContentChanges): boolean {
  return c.data.size > 0 || c.collections.size > 0 || c.scene || c.chunks.size > 0
}

export function collectContentChanges(tr: Y.Transaction, roots: ContentRoots): ContentChanges {
  const out = emptyContentChanges()
  for (const [type, keys] of tr.changed) {
    const named = [...keys].filter((k): k is string => k !== null)
    if (type === roots.dataBlocks) named.forEach((k) => out.data.set(k, 'all'))
    else if (type === roots.collectionMaps) named.forEach((k) => out.collections.add(k))
    else if (type === roots.sceneMap) out.scene = true
    else if (type === roots.geometry) named.forEach((k) => out.chunks.add(k))
    else {
      const item = type._item
      if (!item || typeof item.parentSub !== 'string') continue
      if (item.parent === roots.dataBlocks) {
        const keys = out.data.get(item.parentSub) ?? new Set<string>()
        if (keys !== 'all') named.forEach((k) => keys.add(k))
        out.data.set(item.parentSub, keys)
      }
      else if (item.parent === roots.collectionMaps) out.collections.add(item.parentSub)
    }
  }
  return out
}
