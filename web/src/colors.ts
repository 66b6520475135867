/**
 * A person's colour. The agent gives everyone `hsl(sha1(name)[0]·360/256, 70%,
 * 55%)` unless Blender sets one; the page computes the same, so a person in
 * the history chart has the colour they have in Blender and in presence.
 * SHA-1 is written out here because `crypto.subtle` exists only on secure
 * origins and a server on a LAN address is not one.
 */

function sha1FirstByte(text: string): number {
  const bytes = new TextEncoder().encode(text)
  const len = bytes.length
  const words = new Uint32Array((((len + 8) >> 6) + 1) * 16)
  for (let i = 0; i < len; i++) words[i >> 2]! |= bytes[i]! << (24 - (i % 4) * 8)
  words[len >> 2]! |= 0x80 << (24 - (len % 4) * 8)
  words[words.length - 1] = len * 8
  let [a, b, c, d, e] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]
  const w = new Uint32Array(80)
  const rol = (x: number, n: number) => (x << n) | (x >>> (32 - n))
  for (let o = 0; o < words.length; o += 16) {
    for (let i = 0; i < 80; i++) w[i] = i < 16 ? words[o + i]! : rol(w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!, 1)
    let [A, B, C, D, E] = [a, b, c, d, e]
    for (let i = 0; i < 80; i++) {
      const f = i < 20 ? (B & C) | (~B & D) : i < 40 ? B ^ C ^ D : i < 60 ? (B & C) | (B & D) | (C & D) : B ^ C ^ D
      const k = i < 20 ? 0x5a827999 : i < 40 ? 0x6ed9eba1 : i < 60 ? 0x8f1bbcdc : 0xca62c1d6
      const t = (rol(A, 5) + f + E + k + w[i]!) | 0
      ;[E, D, C, B, A] = [D, C, rol(B, 30), A, t]
    }
    a = (a + A) | 0
    b = (b + B) | 0
    c = (c + C) | 0
    d = (d + D) | 0
    e = (e + E) | 0
  }
  return a >>> 24
}

const cache = new Map<string, string>()

export function colorOf(name: string): string {
  let c = cache.get(name)
  if (!c) cache.set(name, (c = `hsl(${(sha1FirstByte(name) * 360) >> 8}, 70%, 55%)`))
  return c
}

/** Colours people announce themselves, by name: they win over the computed one. */
export const announced = new Map<string, string>()

export function personColor(name: string): string {
  return announced.get(name) ?? colorOf(name)
}
