import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SceneDoc, SceneInputError, checkXform, decodeXform, encodeXform, type Xform } from '../../src/crdt/index.js'

const quat: Xform = { mode: 'QUATERNION', location: [1, 2, 3], rotation: [1, 0, 0, 0], scale: [1, 1, 1] }

describe('xform value', () => {
  it('round-trips every rotation mode through its single stored array', () => {
    for (const x of [
      quat,
      { mode: 'AXIS_ANGLE', location: [0.5, 0, 0], rotation: [1.25, 0, 0, 1], scale: [2, 2, 2] },
      { mode: 'ZXY', location: [0, 0, -1], rotation: [0.25, 0.5, 0.75], scale: [1, 0.5, 1] },
    ] as Xform[]) {
      const stored = encodeXform(x)
      expect(stored).toHaveLength(1 + 3 + x.rotation.length + 3)
      expect(decodeXform(stored)).toEqual({ ok: true, value: x })
    }
  })

  it('rounds to float32, what Blender holds, so each number encodes in 5 bytes', () => {
    const [, lx] = encodeXform({ ...quat, location: [0.1, 0, 0] })
    expect(lx).toBe(Math.fround(0.1))
  })

  it('names what is wrong with a bad stored value', () => {
    expect(decodeXform('x')).toMatchObject({ ok: false, reason: expect.stringMatching(/must be an array/) })
    expect(decodeXform([9, 0, 0, 0, 0, 0, 0, 1, 1, 1])).toMatchObject({ reason: expect.stringMatching(/rotation mode code/) })
    expect(decodeXform([2, 0, 0, 0, 0, 0, 0, 1, 1])).toMatchObject({ reason: expect.stringMatching(/must hold 10 values \(or 13 with channel times\), got 9/) })
    expect(decodeXform([2, 0, NaN, 0, 0, 0, 0, 1, 1, 1])).toMatchObject({ reason: expect.stringMatching(/xform\[2\] must be a finite number, got NaN/) })
    expect(checkXform({ ...quat, rotation: [1, 0, 0] })).toMatchObject({ reason: expect.stringMatching(/rotation must be 4 numbers for mode QUATERNION/) })
  })
})

describe('SceneDoc writes', () => {
  it('refuses bad input from callers with a SceneInputError naming the field', () => {
    const scene = new SceneDoc()
    expect(() => scene.upsertObject('a', { name: '', type: 'MESH' })).toThrow(SceneInputError)
    expect(() => scene.upsertObject('a', { name: 'A', type: 'mesh' })).toThrow(/type must be a Blender object type/)
    scene.upsertObject('a', { name: 'A', type: 'MESH' })
    expect(() => scene.setParent('a', 'a')).toThrow(/parent must not be the object itself/)
    expect(() => scene.setXform('nope', quat)).toThrow(/no object with id "nope"/)
    expect(() => scene.setXform('a', { ...quat, scale: [1, Infinity, 1] })).toThrow(/scale\[1\] must be a finite number/)
  })

  it('keeps the object map on upsert, so a concurrent edit of another key survives', () => {
    const a = new SceneDoc()
    a.upsertObject('o', { name: 'Cube', type: 'MESH', xform: quat })
    const b = new SceneDoc()
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc))
    a.upsertObject('o', { name: 'Cube', type: 'MESH' })
    b.rename('o', 'Renamed')
    Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc))
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc))
    expect(a.read('o')?.name).toBe('Renamed')
    expect(a.objects.toJSON()).toEqual(b.objects.toJSON())
  })

  it('reads foreign values without throwing and reports each problem', () => {
    const scene = new SceneDoc()
    const m = new Y.Map<unknown>()
    scene.objects.set('o', m)
    m.set('name', 42)
    m.set('type', 'EMPTY')
    m.set('xform', [0, 1, 2])
    m.set('colour', 'red')
    const problems: { key: string; reason: string }[] = []
    const o = scene.read('o', problems as never)
    expect(o).toMatchObject({ id: 'o', name: null, type: 'EMPTY', xform: null })
    expect(problems.map((p) => p.key).sort()).toEqual(['colour', 'name', 'xform'])
    expect(problems.find((p) => p.key === 'colour')?.reason).toMatch(/unknown key "colour"/)
  })
})
