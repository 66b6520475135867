/**
 * The page gives a person the colour the agent gives them (the hue from the
 * first byte of SHA-1 of their name), so the chart, presence and Blender
 * agree. The page computes SHA-1 itself; this checks it against Node's.
 */
import crypto from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { colorOf } from '../../web/src/colors.js'
import { checkProperty } from '../helpers/prop.js'

const agentColor = (name: string) => `hsl(${(crypto.createHash('sha1').update(name).digest()[0]! * 360) >> 8}, 70%, 55%)`

describe('person colours', () => {
  it('equal the agent’s for any name, of any length and script', async () => {
    await checkProperty('colors', fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (name) => {
      expect(colorOf(name)).toBe(agentColor(name))
    }), { numRuns: 300 })
    for (const name of ['ana', 'ben', '', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'Zoë 🎬']) expect(colorOf(name)).toBe(agentColor(name))
  })
})
