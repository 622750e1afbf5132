/**
 * Small statistics for benchmark samples: percentiles, medians, ratios.
 * @module
 */

/** The p-th percentile (0..100) of `values`, interpolating between ranks; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (rank - low);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** a / b, or NaN when b is 0 (a ratio against nothing says nothing). */
export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}
