/** Seeded random input for the protocol fuzz tests: deterministic, so a failure names a seed that reproduces it. */

export const U32_MAX = 2 ** 32 - 1;

export interface Rng {
  u32(): number;
  /** An integer in 0..n-1. */
  below(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** xorshift32. */
export function prng(seed: number): Rng {
  let state = seed >>> 0 || 1;
  const u32 = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const below = (n: number): number => Math.floor((u32() / 2 ** 32) * n);
  return { u32, below, chance: (p) => u32() / 2 ** 32 < p, pick: (items) => items[below(items.length)] };
}

/** A seed of its own for each of many runs, so one run replays without the ones before it. */
export function seedOf(base: number, index: number): number {
  let h = (base ^ Math.imul(index + 1, 0x9e37_79b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0 || 1;
}

export function bytesOf(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.below(256);
  return out;
}

/** u32 values biased to the edges, where off-by-one bugs live. */
export function u32Of(rng: Rng): number {
  const pick = rng.below(5);
  if (pick === 0) return 0;
  if (pick === 1) return U32_MAX;
  if (pick === 2) return rng.below(16);
  return rng.u32();
}

/** A bit flip, an overwritten byte, a truncation or trailing junk, on a copy of a valid encoding. */
export function mutate(rng: Rng, bytes: Uint8Array): Uint8Array {
  // Header and fixed fields are where the decisions are, so most mutations land in the first 24 bytes.
  const position = (): number => (rng.chance(0.8) ? rng.below(Math.min(bytes.length, 24)) : rng.below(bytes.length));
  const out = Uint8Array.from(bytes);
  switch (rng.below(5)) {
    case 0:
      out[position()] ^= 1 << rng.below(8);
      return out;
    case 1:
      out[position()] = rng.below(256);
      return out;
    case 2:
      out[position()] = [0, 1, 0x40, 0x41, 0xff][rng.below(5)];
      return out;
    case 3:
      return out.subarray(0, rng.below(bytes.length));
    default: {
      const longer = new Uint8Array(bytes.length + 1 + rng.below(4));
      longer.set(bytes);
      longer.set(bytesOf(rng, longer.length - bytes.length), bytes.length);
      return longer;
    }
  }
}

/** Half of the inputs arrive as views at an odd offset into a larger buffer, as a receive buffer may hand them. */
export function placed(rng: Rng, bytes: Uint8Array): Uint8Array {
  if (rng.chance(0.5)) return bytes;
  const before = 1 + rng.below(15);
  const big = bytesOf(rng, before + bytes.length + rng.below(8));
  big.set(bytes, before);
  return big.subarray(before, before + bytes.length);
}
