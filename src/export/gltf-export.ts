/**
 * A time range as glTF 2.0 binary (.glb), built with @gltf-transform/core:
 * one node per object with the hierarchy and transforms as they were at the
 * range's start (objects created inside the range start as they were created),
 * and one animation with translation/rotation/scale channels for each object
 * and pose bone that moves in the range (docs/export.md).
 *
 * Until the log carries armatures' rest bones, a pose bone is a child node of
 * its armature's node holding the bone's pose channels (relative to its rest,
 * as Blender stores them), not a skin joint: the values round-trip, nothing is
 * deformed. Meshes come from a GeometrySource when there is one.
 *
 * Memory is linear in the samples (`[H2]`): the format puts every key in one
 * binary chunk whose length precedes it, so the document is built whole, from
 * exact-size arrays, and written once.
 */
import { type Animation, type Buffer, Document, type Node, NodeIO } from '@gltf-transform/core'
import type { Xform } from '../crdt/index.js'
import { xformFromRow } from '../projection/object-rows.js'
import type { ByteSink } from './byte-sink.js'
import { type GeometrySource, MeshCache } from './geometry-source.js'
import { type Quat, locationToYUp, quaternionToYUp, scaleToYUp, toQuaternion } from './rotation.js'
import { sampleQuaternion } from './sample-columns.js'
import type { SampleStream } from './sample-stream.js'
import { type SeriesKeys, TransformSeries } from './transform-series.js'

export type Interpolation = 'STEP' | 'LINEAR'

export interface GltfOptions {
  /** Keys at this many per second instead of at the log entries' times. */
  fps?: number
  /** STEP (default) holds each sample until the next, exactly as recorded; LINEAR blends between samples. */
  interpolation?: Interpolation
  geometry?: GeometrySource
}

export interface GltfRange {
  /** Wall-clock ms of the animation's time 0 and of its end. */
  startTime: number
  endTime: number
}

interface ObjectNode {
  node: Node
  parent: string | null
}

const boneKey = (id: string, bone: string) => `${id}\u0000${bone}`

function place(node: Node, x: Xform): void {
  node.setTranslation(locationToYUp(x.location)).setRotation(quaternionToYUp(toQuaternion(x))).setScale(scaleToYUp(x.scale))
}

export async function writeGltf(samples: SampleStream, sink: ByteSink, range: GltfRange, opts: GltfOptions = {}): Promise<void> {
  const { tt, room } = samples
  const doc = new Document()
  const buffer = doc.createBuffer()
  const scene = doc.createScene(room)
  doc.getRoot().setDefaultScene(scene)
  const objects = new Map<string, ObjectNode>()
  const bones = new Map<string, Node>()
  const startValue = new Map<string, Xform>()
  const startSeq = Math.max(0, samples.from - 1)

  const objectNode = (id: string, name: string | null, type: string | null, parent: string | null, x: Xform | null): ObjectNode => {
    let o = objects.get(id)
    if (o) return o
    const node = doc.createNode(name ?? id).setExtras({ scenesync_object_id: id, ...(type ? { scenesync_type: type } : {}) })
    if (x) place(node, x)
    objects.set(id, (o = { node, parent }))
    return o
  }
  const boneNode = (id: string, objectName: string | null, bone: string, x: Xform | null): Node => {
    const k = boneKey(id, bone)
    let node = bones.get(k)
    if (node) return node
    node = doc.createNode(bone).setExtras({ scenesync_object_id: id, scenesync_bone: bone })
    if (x) place(node, x)
    objectNode(id, objectName, 'ARMATURE', null, null).node.addChild(node)
    bones.set(k, node)
    return node
  }

  const start = tt.sceneRowsAt(room, { seq: startSeq })
  for (const o of start.objects) {
    const x = xformFromRow(o)
    objectNode(o.object_id, o.name, o.type, o.parent, x)
    if (x) startValue.set(o.object_id, x)
  }
  for (const b of start.bones) {
    const x = xformFromRow(b)
    boneNode(b.object_id, null, b.bone, x)
    if (x) startValue.set(boneKey(b.object_id, b.bone), x)
  }

  const endSec = Math.max(0, (range.endTime - range.startTime) / 1000)
  const interpolation = opts.interpolation ?? 'STEP'
  let animation: Animation | null = null
  const animate = (node: Node, series: TransformSeries) => {
    const moves = { location: series.varies('location'), rotation: series.varies('rotation'), scale: series.varies('scale') }
    if (!moves.location && !moves.rotation && !moves.scale) return
    const keys = opts.fps ? series.resample(opts.fps, endSec) : series.keys()
    if (keys.times.length === 0) return
    animation ??= doc.createAnimation(`${room} #${samples.from}–#${samples.to}`)
    addChannels(doc, buffer, animation, node, keys, moves, interpolation)
  }

  const scratch: Quat = [1, 0, 0, 0]
  const loc = [0, 0, 0]
  const scl = [1, 1, 1]
  let key: string | null = null
  let node: Node | null = null
  let series = new TransformSeries()
  const close = () => {
    if (node) animate(node, series)
    node = null
  }
  for await (const page of samples.pages()) {
    for (const r of page) {
      const k = r.bone === null ? r.object_id : boneKey(r.object_id, r.bone)
      if (k !== key) {
        close()
        key = k
        series = new TransformSeries()
        const s = startValue.get(k)
        if (s) series.add(0, s.location, toQuaternion(s), s.scale)
        node = (r.bone === null ? objects.get(r.object_id)?.node : bones.get(k)) ?? null
      }
      if (r.deleted === 1) continue // glTF cannot hide a node: a deleted object keeps its last value
      const q = sampleQuaternion(r, scratch)
      if (!q) continue
      if (!node) {
        const x = xformFromRow(r)!
        node = r.bone === null ? objectNode(r.object_id, r.name, r.type, r.parent, x).node : boneNode(r.object_id, r.name, r.bone, x)
      }
      loc[0] = r.loc_x!
      loc[1] = r.loc_y!
      loc[2] = r.loc_z!
      scl[0] = r.scale_x!
      scl[1] = r.scale_y!
      scl[2] = r.scale_z!
      series.add(r.time - range.startTime, loc, q, scl)
    }
    await samples.advance(page.length)
  }
  close()

  attachHierarchy(scene, objects)
  if (opts.geometry) {
    const meshes = new MeshCache(doc, buffer)
    for (const [id, o] of objects) {
      // As at the range's start; an object made within the range, as at its end.
      const data = (await opts.geometry.meshAt(id, startSeq)) ?? (await opts.geometry.meshAt(id, samples.to))
      if (data) o.node.setMesh(meshes.meshFor(data))
    }
  }
  // A buffer nothing points into (no keys, no meshes) is invalid glTF.
  if (doc.getRoot().listAccessors().length === 0) buffer.dispose()
  await sink.write(await new NodeIO().writeBinary(doc))
}

function addChannels(
  doc: Document,
  buffer: Buffer,
  animation: Animation,
  node: Node,
  keys: SeriesKeys,
  moves: Record<'location' | 'rotation' | 'scale', boolean>,
  interpolation: Interpolation,
): void {
  const n = keys.times.length
  const input = doc.createAccessor().setType('SCALAR').setArray(keys.times).setBuffer(buffer)
  const channel = (path: 'translation' | 'rotation' | 'scale', values: Float32Array) => {
    const output = doc.createAccessor().setType(path === 'rotation' ? 'VEC4' : 'VEC3').setArray(values).setBuffer(buffer)
    const sampler = doc.createAnimationSampler().setInput(input).setOutput(output).setInterpolation(interpolation)
    animation.addSampler(sampler).addChannel(doc.createAnimationChannel().setTargetNode(node).setTargetPath(path).setSampler(sampler))
  }
  if (moves.location) {
    const v = new Float32Array(n * 3)
    for (let i = 0; i < n; i++) v.set(locationToYUp(keys.location.subarray(i * 3, i * 3 + 3)), i * 3)
    channel('translation', v)
  }
  if (moves.rotation) {
    const v = new Float32Array(n * 4)
    for (let i = 0; i < n; i++) {
      const r = keys.rotation
      const q = quaternionToYUp([r[i * 4]!, r[i * 4 + 1]!, r[i * 4 + 2]!, r[i * 4 + 3]!])
      // Unit length again after float32 rounding, within the validator's tolerance.
      const len = Math.hypot(Math.fround(q[0]), Math.fround(q[1]), Math.fround(q[2]), Math.fround(q[3]))
      v.set([q[0] / len, q[1] / len, q[2] / len, q[3] / len], i * 4)
    }
    channel('rotation', v)
  }
  if (moves.scale) {
    const v = new Float32Array(n * 3)
    for (let i = 0; i < n; i++) v.set(scaleToYUp(keys.scale.subarray(i * 3, i * 3 + 3)), i * 3)
    channel('scale', v)
  }
}

/**
 * Parents as at the start. A parent outside the export puts the node at the
 * root; a cycle (two people reparenting at once) is cut at its smallest id.
 */
function attachHierarchy(scene: ReturnType<Document['createScene']>, objects: Map<string, ObjectNode>): void {
  const parentOf = new Map<string, string | null>()
  for (const [id, o] of objects) parentOf.set(id, o.parent !== null && objects.has(o.parent) ? o.parent : null)
  const done = new Set<string>()
  for (const id of objects.keys()) {
    const path: string[] = []
    let cur: string | null = id
    while (cur !== null && !done.has(cur)) {
      const at = path.indexOf(cur)
      if (at >= 0) {
        parentOf.set(path.slice(at).sort()[0]!, null)
        break
      }
      path.push(cur)
      cur = parentOf.get(cur) ?? null
    }
    for (const p of path) done.add(p)
  }
  for (const [id, o] of objects) {
    const parent = parentOf.get(id) ?? null
    if (parent === null) scene.addChild(o.node)
    else objects.get(parent)!.node.addChild(o.node)
  }
}
