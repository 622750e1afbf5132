/**
 * Seeds: every randomized scenario runs from one, prints it, and takes it from the environment to
 * replay a run: `RELIABILITY_SEED=<n>` (one scenario at a time), or `RELIABILITY_SEED=random` for
 * fresh seeds. Without it each scenario uses its own fixed seed, so CI runs are repeatable.
 * @module
 */

export function seedFor(defaultSeed: number, env: Record<string, string | undefined> = process.env): number {
  const value = env.RELIABILITY_SEED?.trim();
  if (!value) return defaultSeed;
  if (value === "random") return Math.floor(Math.random() * 2 ** 31);
  if (!/^\d{1,10}$/.test(value)) throw new Error(`RELIABILITY_SEED must be a whole number or "random", got "${value}"`);
  return Number(value);
}
