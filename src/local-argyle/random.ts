/**
 * A small seeded PRNG (mulberry32) and the draws the local Argyle needs. Everything the fake
 * invents (gigs, IDs, mutations, which requests a fault hits) comes from one of these, so a seed
 * reproduces a run exactly.
 * @module
 */

/** A seed: numbers are used as-is, strings are hashed, so `"bench"` and `42` both work. */
export type Seed = number | string;

/** A deterministic stream of random draws. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of `items`, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** A 32-bit unsigned integer. */
  uint32(): number;
}

/** A random stream for `seed`. */
export function createRandom(seed: Seed): Random {
  let state = typeof seed === "number" ? seed >>> 0 : hashString(seed);
  const uint32 = (): number => {
    // mulberry32: one 32-bit state, good enough statistically for test data and very fast.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = () => uint32() / 4_294_967_296;
  return {
    next,
    uint32,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}

/** A stream for one named part of a seeded run, independent of how much other parts draw. */
export function deriveRandom(seed: Seed, ...path: readonly (string | number)[]): Random {
  return createRandom(hashString([String(seed), ...path.map(String)].join("\u0000")));
}

/** A 32-bit hash of `text` (FNV-1a followed by a murmur3 finaliser, to spread short inputs). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * An ID in Argyle's shape: 8-4-4-4-12 lowercase hex. Like Argyle's, the first 48 bits are a
 * millisecond timestamp and the rest is random, with no RFC 4122 version or variant bits set
 * (Argyle's IDs ignore them: `018051aa-f7a9-a0db-2f38-6cfa325e9d69`).
 */
export function argyleId(random: Random, ms: number): string {
  const time = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0").slice(-12);
  const rest = hex8(random.uint32()) + hex8(random.uint32()) + hex8(random.uint32()).slice(0, 4);
  const hex = time + rest;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}
