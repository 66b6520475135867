/**
 * Random scene edits for property tests: every kind of edit DESIGN lists
 * (create, move, rotate in each mode, scale, rename, reparent, delete, bone
 * moves, multi-object moves), over a small pool of ids so edits collide.
 */
import fc from 'fast-check'
import { IDENTITY_XFORM, ROTATION_MODES, type RotationMode, SceneDoc, type Xform, encodeGeometry, geometryHash, rotationLength } from '../../src/crdt/index.js'
import { gridMesh, meshFrom } from './geometry-arb.js'

export const IDS = ['0b7c2f7e-0001', '0b7c2f7e-0002', '0b7c2f7e-0003', '0b7c2f7e-0004', '0b7c2f7e-0005']
export const BONES = ['root', 'spine', 'hand.L']
export const DATA_IDS = ['d-mesh-1', 'd-mesh-2', 'd-light', 'd-mat']
export const COLLECTION_IDS = ['c-props', 'c-set', 'c-far']
/** A few small geometry values, so random edits write the same one twice ([D2]). */
export const GEOMETRIES = [gridMesh(2), gridMesh(3, false), meshFrom([0, 0, 0, 1, 0, 0, 0, 1, 0], [[0, 1, 2]], { smooth: [true] }), gridMesh(2, true, 1)].map(encodeGeometry)

export type Op =
  | { kind: 'create'; id: string; name: string; type: 'EMPTY' | 'MESH' | 'ARMATURE' }
  | { kind: 'move'; id: string; loc: [number, number, number] }
  | { kind: 'rotate'; id: string; mode: RotationMode; rot: number[] }
  | { kind: 'scale'; id: string; scale: [number, number, number] }
  | { kind: 'rename'; id: string; name: string }
  | { kind: 'reparent'; id: string; parent: string | null }
  | { kind: 'hide'; id: string; visible: boolean }
  | { kind: 'delete'; id: string }
  | { kind: 'bone'; id: string; bone: string; loc: [number, number, number] }
  | { kind: 'multiMove'; ids: string[]; delta: [number, number, number] }
  | { kind: 'light'; data: string; energy: number; color: [number, number, number] }
  | { kind: 'geometry'; data: string; g: number }
  | { kind: 'link'; id: string; data: string | null; materials: (string | null)[]; collections: string[] }
  | { kind: 'collection'; col: string; name: string; parent: string | null; hideRender: boolean }
  | { kind: 'uncollection'; col: string }
  | { kind: 'camera'; id: string | null }

const num = fc.integer({ min: -400, max: 400 }).map((n) => n / 8)
const vec3 = fc.tuple(num, num, num)
const id = fc.constantFrom(...IDS)
const name = fc.constantFrom('Cube', 'Cube.001', 'Rig', 'Lamp', 'Empty', 'Camera')

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('create' as const), id, name, type: fc.constantFrom('EMPTY' as const, 'MESH' as const, 'ARMATURE' as const) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('move' as const), id, loc: vec3 }), weight: 5 },
  {
    arbitrary: fc.constantFrom(...ROTATION_MODES).chain((mode) =>
      fc.record({ kind: fc.constant('rotate' as const), id, mode: fc.constant(mode), rot: fc.array(num, { minLength: rotationLength(mode), maxLength: rotationLength(mode) }) }),
    ),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('scale' as const), id, scale: vec3 }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('rename' as const), id, name }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reparent' as const), id, parent: fc.option(id, { nil: null }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('hide' as const), id, visible: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), id }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('bone' as const), id, bone: fc.constantFrom(...BONES), loc: vec3 }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('multiMove' as const), ids: fc.uniqueArray(id, { minLength: 2, maxLength: 4 }), delta: vec3 }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('light' as const), data: fc.constantFrom(...DATA_IDS), energy: num, color: fc.tuple(num, num, num) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('geometry' as const), data: fc.constantFrom(...DATA_IDS.slice(0, 2)), g: fc.nat(GEOMETRIES.length - 1) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('link' as const),
      id,
      data: fc.option(fc.constantFrom(...DATA_IDS), { nil: null }),
      materials: fc.array(fc.option(fc.constantFrom('d-mat', 'm-other'), { nil: null }), { maxLength: 3 }),
      collections: fc.uniqueArray(fc.constantFrom('@scene', ...COLLECTION_IDS), { maxLength: 2 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('collection' as const), col: fc.constantFrom(...COLLECTION_IDS), name, parent: fc.option(fc.constantFrom(...COLLECTION_IDS), { nil: null }), hideRender: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('uncollection' as const), col: fc.constantFrom(...COLLECTION_IDS) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('camera' as const), id: fc.option(id, { nil: null }) }), weight: 1 },
)

function current(scene: SceneDoc, id: string): Xform {
  return scene.read(id)?.xform ?? IDENTITY_XFORM
}

/** Applies an edit the way an editor would; edits of absent objects are skipped. */
export function applyOp(scene: SceneDoc, op: Op): void {
  switch (op.kind) {
    case 'light':
      scene.upsertData(op.data, { kind: 'LIGHT', name: 'Lamp', settings: { energy: op.energy, color: op.color } })
      return
    case 'geometry': {
      // As the agent does it: chunks first (their own updates), then the reference, releasing the old value.
      const bytes = GEOMETRIES[op.g]!
      const ref = scene.putGeometry(bytes, undefined, geometryHash(bytes))
      const old = scene.readData(op.data)?.geometry?.hash
      scene.transact(() => {
        scene.upsertData(op.data, { kind: 'MESH', name: 'Mesh', geometry: ref })
        if (old && old !== ref.hash) scene.releaseGeometry(old)
      })
      return
    }
    case 'collection':
      scene.upsertCollection(op.col, { name: op.name, ...(op.parent !== op.col ? { parent: op.parent } : {}), flags: { hide_render: op.hideRender } })
      return
    case 'uncollection':
      scene.deleteCollection(op.col)
      return
    case 'camera':
      scene.setActiveCamera(op.id)
      return
    case 'link':
      if (scene.has(op.id)) scene.setObjectRefs(op.id, { data: op.data, materials: op.materials, collections: op.collections })
      return
  }
  if (op.kind === 'create') {
    scene.upsertObject(op.id, { name: op.name, type: op.type, xform: IDENTITY_XFORM })
    return
  }
  if (op.kind === 'multiMove') {
    scene.transact(() => {
      for (const id of op.ids) {
        if (!scene.has(id)) continue
        const x = current(scene, id)
        scene.setXform(id, { ...x, location: [x.location[0] + op.delta[0], x.location[1] + op.delta[1], x.location[2] + op.delta[2]] })
      }
    })
    return
  }
  if (!scene.has(op.id)) return
  switch (op.kind) {
    case 'move': scene.setXform(op.id, { ...current(scene, op.id), location: op.loc }); break
    case 'rotate': scene.setXform(op.id, { ...current(scene, op.id), mode: op.mode, rotation: op.rot }); break
    case 'scale': scene.setXform(op.id, { ...current(scene, op.id), scale: op.scale }); break
    case 'rename': scene.rename(op.id, op.name); break
    case 'reparent': if (op.parent !== op.id) scene.setParent(op.id, op.parent); break
    case 'hide': scene.setVisible(op.id, op.visible); break
    case 'delete': scene.deleteObject(op.id); break
    case 'bone': scene.setBonePose(op.id, op.bone, { ...IDENTITY_XFORM, location: op.loc }); break
  }
}

/** The doc's content as canonical JSON (keys sorted), for comparing replicas. */
export function content(scene: SceneDoc): string {
  const chunks: Record<string, string> = {}
  for (const [k, v] of scene.geometry.entries()) chunks[k] = v instanceof Uint8Array ? geometryHash(v) : String(v)
  return canonical({
    objects: scene.objects.toJSON(),
    data: scene.dataBlocks.toJSON(),
    collections: scene.collectionMaps.toJSON(),
    scene: scene.sceneMap.toJSON(),
    geometry: chunks,
  })
}

export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Map) x = Object.fromEntries(x)
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return x
    return Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  })
}
