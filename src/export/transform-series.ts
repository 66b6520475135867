/**
 * One node's recorded transforms over an export's range, as the keyframes an
 * animation channel holds (`[H1]`): a key at each sample's time with the
 * sample's value, or, on request, keys at a fixed rate whose values are the
 * latest sample at or before each key's time, so nothing between two samples
 * is made up either way.
 *
 * Keys are float32 seconds from the range's start. Samples closer than float32
 * can tell apart (several log entries in one millisecond) keep the last one,
 * the value `scene_at` gives for that time; the input then strictly increases,
 * as glTF requires. Quaternions keep to one hemisphere, so a LINEAR sampler
 * never turns the long way round between two equal-looking keys.
 */
import type { Quat } from './rotation.js'

export interface SeriesKeys {
  times: Float32Array
  /** x y z per key, in the source's axes. */
  location: Float64Array
  /** w x y z per key. */
  rotation: Float64Array
  scale: Float64Array
}

export class TransformSeries {
  private n = 0
  private t = new Float64Array(64)
  private loc = new Float64Array(64 * 3)
  private rot = new Float64Array(64 * 4)
  private scl = new Float64Array(64 * 3)

  get length(): number {
    return this.n
  }

  /** Adds a sample at `ms` (milliseconds since the range's start; never decreasing); copies what it keeps. */
  add(ms: number, location: ArrayLike<number>, q: Quat, scale: ArrayLike<number>): void {
    const sec = Math.fround(ms / 1000)
    if (this.n > 0 && sec <= this.t[this.n - 1]!) this.n-- // same float32 time: the later entry wins
    if (this.n === this.t.length) this.grow()
    const i = this.n++
    this.t[i] = sec
    for (let j = 0; j < 3; j++) {
      this.loc[i * 3 + j] = location[j]!
      this.scl[i * 3 + j] = scale[j]!
    }
    const p = i * 4 - 4
    const flip = i > 0 && q[0] * this.rot[p]! + q[1] * this.rot[p + 1]! + q[2] * this.rot[p + 2]! + q[3] * this.rot[p + 3]! < 0 ? -1 : 1
    for (let j = 0; j < 4; j++) this.rot[i * 4 + j] = flip * q[j]!
  }

  private grow(): void {
    const g = <T extends Float64Array>(a: T, k: number) => {
      const b = new Float64Array(this.t.length * 2 * k)
      b.set(a)
      return b
    }
    this.loc = g(this.loc, 3)
    this.rot = g(this.rot, 4)
    this.scl = g(this.scl, 3)
    this.t = g(this.t, 1)
  }

  /** Whether any key's component of `what` differs from the first key's. */
  varies(what: 'location' | 'rotation' | 'scale'): boolean {
    const [a, k] = what === 'location' ? [this.loc, 3] : what === 'rotation' ? [this.rot, 4] : [this.scl, 3]
    for (let i = 1; i < this.n; i++) for (let j = 0; j < k; j++) if (a[i * k + j] !== a[j]) return true
    return false
  }

  /** The keys at the samples' own times. */
  keys(): SeriesKeys {
    return {
      times: Float32Array.from(this.t.subarray(0, this.n)),
      location: this.loc.slice(0, this.n * 3),
      rotation: this.rot.slice(0, this.n * 4),
      scale: this.scl.slice(0, this.n * 3),
    }
  }

  /**
   * Keys every 1/fps s from 0 to `endSec`, each holding the latest sample at
   * or before its time; keys before the first sample (an object created later)
   * are left out.
   */
  resample(fps: number, endSec: number): SeriesKeys {
    const count = Math.floor(endSec * fps + 1e-9) + 1
    const first = this.n === 0 ? count : Math.max(0, Math.ceil(this.t[0]! * fps - 1e-9))
    const m = Math.max(0, count - first)
    const out: SeriesKeys = { times: new Float32Array(m), location: new Float64Array(m * 3), rotation: new Float64Array(m * 4), scale: new Float64Array(m * 3) }
    let s = 0
    for (let k = 0; k < m; k++) {
      const t = Math.fround((first + k) / fps)
      while (s + 1 < this.n && this.t[s + 1]! <= t) s++
      out.times[k] = t
      out.location.set(this.loc.subarray(s * 3, s * 3 + 3), k * 3)
      out.rotation.set(this.rot.subarray(s * 4, s * 4 + 4), k * 4)
      out.scale.set(this.scl.subarray(s * 3, s * 3 + 3), k * 3)
    }
    return out
  }
}
