/**
 * Per-channel newest-wins for transforms (DESIGN "Scene model on Yjs", `[B3]`).
 *
 * A transform has three channels: location, rotation (with its mode: the
 * numbers mean nothing without it) and scale. Each carries the time of its
 * last edit (xform.ts). Two rules, both pure:
 *
 * - a write replaces only the channels the person changed, and stamps them
 *   (`writeChannels`); a live write is stamped at least 1 ms after the value it
 *   replaces, so a causal overwrite is also the newer one by time, whatever the
 *   writer's clock says; an edit made in the past (while disconnected) keeps a
 *   channel the doc holds a newer edit of;
 * - two values written concurrently merge per channel, the newer time winning
 *   (`mergeXform`); on a tie the doc's current value stays, so every replica
 *   that merges the same pair computes the same value.
 */
import { type ChannelTimes, type StampedXform, XFORM_CHANNELS, type Xform, type XformChannel } from './xform.js'

const INDEX: Record<XformChannel, 0 | 1 | 2> = { location: 0, rotation: 1, scale: 2 }

function vecEquals(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** Whether one channel holds the same value in both (rotation: mode and numbers). */
export function channelEquals(a: Xform, b: Xform, c: XformChannel): boolean {
  if (c === 'location') return vecEquals(a.location, b.location)
  if (c === 'scale') return vecEquals(a.scale, b.scale)
  return a.mode === b.mode && vecEquals(a.rotation, b.rotation)
}

/** `into` with channel `c` taken from `from`. */
export function withChannel(into: Xform, from: Xform, c: XformChannel): Xform {
  if (c === 'location') return { ...into, location: [...from.location] }
  if (c === 'scale') return { ...into, scale: [...from.scale] }
  return { ...into, mode: from.mode, rotation: [...from.rotation] }
}

export function stampedEquals(a: StampedXform, b: StampedXform): boolean {
  return vecEquals(a.times, b.times) && XFORM_CHANNELS.every((c) => channelEquals(a.xform, b.xform, c))
}

/**
 * `current` is the doc's value (the one Yjs kept), `other` a value it replaced
 * concurrently. Per channel, `other` wins only if its edit is strictly newer.
 */
export function mergeXform(current: StampedXform, other: StampedXform): StampedXform {
  let xform = current.xform
  const times: ChannelTimes = [...current.times]
  for (const c of XFORM_CHANNELS) {
    const i = INDEX[c]
    if (other.times[i] > current.times[i]) {
      xform = withChannel(xform, other.xform, c)
      times[i] = other.times[i]
    }
  }
  return { xform, times }
}

/** Whether `other` holds a channel edited after the same channel of `current`. */
export function hasNewerChannel(current: StampedXform, other: StampedXform): boolean {
  return other.times.some((t, i) => t > current.times[i]!)
}

export interface ChannelWrite {
  /** Channels taken from the written transform; the others keep the doc's value and time. Default: all. */
  channels?: readonly XformChannel[]
  /** When the edit was made: ms since the Unix epoch on the server-referenced clock. */
  time: number
  /**
   * true for an edit made earlier (while disconnected): a channel whose doc
   * value was edited later than `time` is kept. false (a live edit): the edit
   * is the newest by construction.
   */
  past?: boolean
}

export interface ChannelWriteResult {
  /** The value to store; equal to `current` when nothing changes. */
  value: StampedXform
  /** Channels whose value the write changed. */
  written: XformChannel[]
  /** Channels the write asked for but the doc keeps, because its edit is newer. */
  kept: XformChannel[]
}

/** The value that writing `incoming` over the doc's `current` stores. */
export function writeChannels(current: StampedXform | undefined, incoming: Xform, w: ChannelWrite): ChannelWriteResult {
  const time = Math.round(w.time)
  if (!current) return { value: { xform: incoming, times: [time, time, time] }, written: [...XFORM_CHANNELS], kept: [] }
  let xform = current.xform
  const times: ChannelTimes = [...current.times]
  const written: XformChannel[] = []
  const kept: XformChannel[] = []
  for (const c of w.channels ?? XFORM_CHANNELS) {
    // An unchanged value keeps its edit time: re-sending it is not an edit.
    if (channelEquals(current.xform, incoming, c)) continue
    const i = INDEX[c]
    if (w.past && current.times[i] >= time) {
      kept.push(c)
      continue
    }
    xform = withChannel(xform, incoming, c)
    times[i] = w.past ? time : Math.max(time, current.times[i] + 1)
    written.push(c)
  }
  return { value: written.length ? { xform, times } : current, written, kept }
}
