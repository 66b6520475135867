import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SceneDoc, XFORM_CHANNELS, type Xform, type XformChannel, decodeStampedXform } from '../../src/crdt/index.js'
import { checkProperty } from '../helpers/prop.js'
import { XformNet } from '../helpers/xform-net.js'

const N = 3
const INDEX: Record<XformChannel, number> = { location: 0, rotation: 1, scale: 2 }

const stepArb = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constant('edit' as const),
      r: fc.nat(N - 1),
      channels: fc.subarray([...XFORM_CHANNELS], { minLength: 1 }),
      euler: fc.boolean(),
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ t: fc.constant('toggle' as const), r: fc.nat(N - 1) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('deliver' as const), n: fc.integer({ min: 1, max: 6 }), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3 }) }), weight: 3 },
)

// Clock errors: mostly small (what the server-referenced clock leaves), sometimes an hour off.
const skewArb = fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom(-3_600_000, 3_600_000))

/** A value whose channels say which edit made them: edit k writes k into each channel it changes. */
function valueOf(k: number, euler: boolean): Xform {
  return { mode: euler ? 'XYZ' : 'QUATERNION', location: [k, 0, 0], rotation: euler ? [k, 0, 0] : [k, 1, 0, 0], scale: [k, k, 1] }
}

function channelValue(x: Xform, c: XformChannel): string {
  return c === 'location' ? String(x.location[0]) : c === 'scale' ? String(x.scale[0]) : `${x.mode}:${x.rotation[0]}`
}

describe('per-channel newest-wins merge of transforms', () => {
  it('[B3] random interleavings of online and offline edits on 3 replicas converge, each channel holding its newest edit', () =>
    checkProperty(
      'B3 per-channel newest wins',
      fc.property(fc.array(skewArb, { minLength: N, maxLength: N }), fc.array(stepArb, { minLength: 1, maxLength: 80 }), (skews, steps) => {
        const net = new XformNet(N, skews)
        net.create(0, 'o', valueOf(0, true))
        net.settle()
        // Every edit: channel → [time it was stamped with, value it wrote].
        const edits: Array<{ c: XformChannel; time: number; value: string }> = []
        for (const c of XFORM_CHANNELS) edits.push({ c, time: net.value(0, 'o')!.times[INDEX[c]]!, value: channelValue(valueOf(0, true), c) })
        let k = 0
        for (const s of steps) {
          if (s.t === 'edit') {
            const v = valueOf(++k, s.euler)
            net.edit(s.r, 'o', v, s.channels)
            const after = net.value(s.r, 'o')!
            for (const c of s.channels) edits.push({ c, time: after.times[INDEX[c]]!, value: channelValue(v, c) })
          } else if (s.t === 'toggle') net.setOnline(s.r, !net.replicas[s.r]!.online)
          else if (s.t === 'deliver') for (let i = 0; i < s.n && net.deliverOne(s.pick + i); i++);
          else net.now += s.ms
        }
        for (let i = 0; i < N; i++) net.setOnline(i, true)
        net.settle()

        const final = net.value(0, 'o')!
        for (let i = 1; i < N; i++) expect(net.value(i, 'o')).toEqual(final)
        expect(decodeStampedXform(new SceneDoc(net.relay).objects.get('o')!.get('xform'))).toEqual({ ok: true, value: final })
        for (const c of XFORM_CHANNELS) {
          const newest = Math.max(...edits.filter((e) => e.c === c).map((e) => e.time))
          expect(final.times[INDEX[c]], `${c}: the newest edit's time`).toBe(newest)
          const winners = edits.filter((e) => e.c === c && e.time === newest).map((e) => e.value)
          expect(winners, `${c}: the value of an edit with the newest time`).toContain(channelValue(final.xform, c))
        }
      }),
      { numRuns: 300 },
    ))
})
