/**
 * What one Yjs transaction changed in the scene: which objects (added,
 * changed, removed), which of their keys, which bones. The projector and the
 * agent use it to touch only what changed.
 */
import * as Y from 'yjs'

export interface ObjectChange {
  /** Keys of the object's map that changed; 'all' when the object was (re)created or removed. */
  keys: Set<string> | 'all'
  bones: Set<string> | 'all'
}

export type SceneChanges = Map<string, ObjectChange>

function entry(changes: SceneChanges, id: string): ObjectChange {
  let c = changes.get(id)
  if (!c) {
    c = { keys: new Set(), bones: new Set() }
    changes.set(id, c)
  }
  return c
}

function addAll<T>(target: Set<T> | 'all', items: Iterable<T>): void {
  if (target !== 'all') for (const i of items) target.add(i)
}

/** `objects` is the root map of the scene (SceneDoc.objects). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Y.AbstractType is invariant in its event type
export function collectChanges(tr: Y.Transaction, objects: Y.AbstractType<any>): SceneChanges {
  const changes: SceneChanges = new Map()
  for (const [type, keys] of tr.changed) {
    if (type === objects) {
      for (const id of keys) if (id !== null) changes.set(id, { keys: 'all', bones: 'all' })
      continue
    }
    const item = type._item
    if (!item || typeof item.parentSub !== 'string') continue
    if (item.parent === objects) {
      const c = entry(changes, item.parentSub)
      addAll(c.keys, [...keys].filter((k): k is string => k !== null))
      if (keys.has('pose')) c.bones = 'all'
      continue
    }
    // A pose map: objects → object map → 'pose' → bones.
    const parent = item.parent
    if (item.parentSub === 'pose' && parent instanceof Y.AbstractType) {
      const objItem = parent._item
      if (objItem && objItem.parent === objects && typeof objItem.parentSub === 'string') {
        const c = entry(changes, objItem.parentSub)
        addAll(c.keys, ['pose'])
        addAll(c.bones, [...keys].filter((k): k is string => k !== null))
      }
    }
  }
  return changes
}
