/**
 * Which transform values a transaction replaced by a *concurrent* write.
 *
 * Yjs keeps one value per map key: of two concurrent writes it keeps one
 * (deterministically) and drops the other, so a person's newer channel can be
 * lost with the value that carried it. A replica sees this when a value it
 * held is replaced by a write whose author had not seen that value. For a map
 * key, a new Y.Item's `origin` is the id of the item its author replaced; so
 * the new value is a causal overwrite of the replaced one iff the replaced
 * item is on the chain of origins leading back from the new one. Causal
 * overwrites always win, whatever their channel times say (clock skew cannot
 * revert a later edit); only concurrent ones are merged (xform-merge.ts).
 */
import * as Y from 'yjs'

export interface XformReplacement {
  /** The object whose transform (or one of whose bones, when `bone` is set) was replaced. */
  id: string
  bone: string | null
  /** The stored values: the one the doc holds now, and the one it held before. */
  winner: unknown
  replaced: unknown
}

/** How far back along a value's origins to look for the replaced item; beyond, it counts as causal (no merge). */
const MAX_CHAIN = 10_000

function addedIn(tr: Y.Transaction, item: Y.Item): boolean {
  return item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0)
}

function contains(item: Y.Item, id: Y.ID): boolean {
  return id.client === item.id.client && id.clock >= item.id.clock && id.clock < item.id.clock + item.length
}

function causallyAfter(store: Y.Doc['store'], w: Y.Item, r: Y.Item): boolean {
  let id = w.origin
  for (let i = 0; id !== null && i < MAX_CHAIN; i++) {
    if (contains(r, id)) return true
    const prev = Y.getItem(store, id) as Y.Item | Y.GC
    if (!(prev instanceof Y.Item)) return false
    id = prev.origin
  }
  return id !== null
}

function lastValue(item: Y.Item): unknown {
  const c = item.content.getContent()
  return c[c.length - 1]
}

/** The replacement of `key` in `map` by this transaction, if it was a concurrent one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Y.AbstractType is invariant in its event type
function replacement(tr: Y.Transaction, map: Y.AbstractType<any>, key: string): { winner: unknown; replaced: unknown } | null {
  const w = map._map.get(key)
  if (!w || w.deleted || !addedIn(tr, w)) return null
  // The value held before: the rightmost item that was already there.
  let r = w.left
  while (r !== null && addedIn(tr, r)) r = r.left
  if (r === null || !Y.isDeleted(tr.deleteSet, r.id)) return null
  if (causallyAfter(tr.doc.store, w, r)) return null
  return { winner: lastValue(w), replaced: lastValue(r) }
}

/**
 * Every object transform and pose bone this transaction replaced concurrently.
 * Call it from `afterTransaction`: the replaced values are still readable then
 * (Yjs garbage-collects deleted content only after the transaction's observers).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Y.AbstractType is invariant in its event type
export function concurrentXformReplacements(tr: Y.Transaction, objects: Y.AbstractType<any>): XformReplacement[] {
  const out: XformReplacement[] = []
  for (const [type, keys] of tr.changed) {
    const item = type._item
    if (!item || typeof item.parentSub !== 'string') continue
    if (item.parent === objects) {
      if (!keys.has('xform')) continue
      const r = replacement(tr, type, 'xform')
      if (r) out.push({ id: item.parentSub, bone: null, ...r })
      continue
    }
    // A pose map: objects → object map → 'pose' → bones.
    const parent = item.parent
    if (item.parentSub !== 'pose' || !(parent instanceof Y.AbstractType)) continue
    const objItem = parent._item
    if (!objItem || objItem.parent !== objects || typeof objItem.parentSub !== 'string') continue
    for (const bone of keys) {
      if (bone === null) continue
      const r = replacement(tr, type, bone)
      if (r) out.push({ id: objItem.parentSub, bone, ...r })
    }
  }
  return out
}
