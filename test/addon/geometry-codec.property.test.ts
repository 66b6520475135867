/**
 * The add-on's geometry codec (blender_addon/scenesync/core/geometry.py, plain
 * python3) and ours (src/crdt) write the same bytes for the same geometry and
 * read each other's, over random meshes, armatures and curves.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Geometry, decodeGeometry, encodeGeometry, geometryHash } from '../../src/crdt/index.js'
import { checkProperty } from '../helpers/prop.js'
import { geometryArb, plain } from '../helpers/geometry-arb.js'

const ROOT = path.resolve(import.meta.dirname, '..', '..')

// Python side: each input line is {kind, fields} (encode) or {bytes} (decode and re-encode).
const PY = String.raw`
import base64, json, sys
sys.path.insert(0, sys.argv[1])
from array import array
from core import geometry as G
TC = {'positions': 'f', 'edges': 'I', 'loop_vertices': 'I', 'loop_edges': 'I', 'face_starts': 'I', 'face_sizes': 'I',
      'smooth': 'B', 'material_indices': 'I', 'sharp_edges': 'B', 'parents': 'i', 'heads': 'f', 'tails': 'f', 'rolls': 'f',
      'flags': 'B', 'types': 'B', 'counts': 'I', 'orders': 'I', 'resolutions': 'I', 'materials': 'I',
      'bezier_co': 'f', 'bezier_left': 'f', 'bezier_right': 'f', 'bezier_handle_types': 'B', 'bezier_radius': 'f',
      'bezier_tilt': 'f', 'point_co': 'f', 'point_radius': 'f', 'point_tilt': 'f'}
def arrays(d):
    out = {}
    for k, v in d.items():
        if k in TC and v is not None:
            a = array(TC[k]); a.frombytes(base64.b64decode(v)); out[k] = a
        elif k == 'uv_layers':
            layers = []
            for name, uv in v:
                a = array('f'); a.frombytes(base64.b64decode(uv)); layers.append((name, a))
            out[k] = layers
        else:
            out[k] = v
    return out
for line in sys.stdin:
    req = json.loads(line)
    if 'bytes' in req:
        data = base64.b64decode(req['bytes'])
        kind, value = G.decode(data)
        again = G.encode(kind, value)
        print(json.dumps({'same': again == data, 'hash': G.digest(again), 'kind': kind}), flush=True)
    else:
        data = G.encode(req['kind'], arrays(req['fields']))
        print(json.dumps({'bytes': base64.b64encode(data).decode()}), flush=True)
`

const SNAKE: Record<string, string> = {
  loopVertices: 'loop_vertices', loopEdges: 'loop_edges', faceStarts: 'face_starts', faceSizes: 'face_sizes', materialIndices: 'material_indices',
  sharpEdges: 'sharp_edges', uvLayers: 'uv_layers', activeUv: 'active_uv', activeRenderUv: 'active_render_uv', bezierCo: 'bezier_co', bezierLeft: 'bezier_left',
  bezierRight: 'bezier_right', bezierHandleTypes: 'bezier_handle_types', bezierRadius: 'bezier_radius', bezierTilt: 'bezier_tilt', pointCo: 'point_co',
  pointRadius: 'point_radius', pointTilt: 'point_tilt',
}

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')

function fieldsOf(g: Geometry): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(g)) {
    if (k === 'kind') continue
    const key = SNAKE[k] ?? k
    if (ArrayBuffer.isView(v)) out[key] = b64(v)
    else if (k === 'uvLayers') out[key] = (v as Array<{ name: string; uv: Float32Array }>).map((l) => [l.name, b64(l.uv)])
    else out[key] = v
  }
  return out
}

describe('add-on geometry codec (python3) against src/crdt', () => {
  it('[D1] [D2] python and TypeScript encode random geometry to the same bytes and decode each other exactly', async () => {
    const py = spawn('python3', ['-c', PY, path.join(ROOT, 'blender_addon', 'scenesync')], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = readline.createInterface({ input: py.stdout! })[Symbol.asyncIterator]()
    const ask = async (req: unknown) => {
      py.stdin!.write(JSON.stringify(req) + '\n')
      const r = await lines.next()
      if (r.done) throw new Error('python exited')
      return JSON.parse(r.value as string) as Record<string, unknown>
    }
    try {
      await checkProperty(
        'python geometry codec',
        fc.asyncProperty(geometryArb, async (g) => {
          const ours = encodeGeometry(g)
          const theirs = Buffer.from((await ask({ kind: g.kind, fields: fieldsOf(g) })).bytes as string, 'base64')
          expect(theirs.equals(Buffer.from(ours))).toBe(true)
          expect(plain(decodeGeometry(new Uint8Array(theirs)))).toEqual(plain(g))
          const back = await ask({ bytes: Buffer.from(ours).toString('base64') })
          expect(back).toEqual({ same: true, hash: geometryHash(ours), kind: g.kind })
        }),
        { numRuns: 100 },
      )
    } finally {
      py.stdin!.end()
    }
  })
})
