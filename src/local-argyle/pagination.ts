/**
 * Keyset pagination over sorted runs, as behind Argyle's cursor lists: a page starts just after
 * (or before) the key of the last item seen, never at an offset, so items added or removed
 * between pages neither repeat nor shift the rest. Several runs (one per account) are merged.
 * @module
 */

/** Sort key of an item: primary value, then ID as a tie-break. */
export type SortKey = readonly [number | string, string];

/** The half-open slice [lo, hi) of a sorted array that matches a query. */
export interface Run<T> {
  items: readonly T[];
  lo: number;
  hi: number;
}

/** Where a page starts: after `key` going forward, or before it going backward. */
export interface Position {
  forward: boolean;
  /** null = from the very start (forward only). */
  key: SortKey | null;
  /** Whether an item whose key equals `key` belongs to the page. */
  inclusive: boolean;
}

export interface Page<T> {
  items: T[];
  previous: Position | null;
  next: Position | null;
}

export interface Ordering<T> {
  keyOf: (item: T) => SortKey;
  compare: (a: SortKey, b: SortKey) => number;
}

/** Ascending by the primary value, then by ID. */
export function compareKeys(a: SortKey, b: SortKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** Index in `run` of the first item after `key` (or at it, when `inclusive`). */
export function boundary<T>(run: Run<T>, ordering: Ordering<T>, key: SortKey, inclusive: boolean): number {
  let lo = run.lo;
  let hi = run.hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = ordering.compare(ordering.keyOf(run.items[mid] as T), key);
    if (c > 0 || (inclusive && c === 0)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Up to `limit` items from `position`, with the positions of the pages either side (null at an end). */
export function keysetPage<T>(
  runs: readonly Run<T>[],
  ordering: Ordering<T>,
  position: Position | null,
  limit: number,
): Page<T> {
  const pos = position ?? { forward: true, key: null, inclusive: false };
  const sort = (a: T, b: T) => ordering.compare(ordering.keyOf(a), ordering.keyOf(b));
  const picked: T[] = [];
  for (const run of runs) {
    if (pos.forward) {
      const start = pos.key === null ? run.lo : boundary(run, ordering, pos.key, pos.inclusive);
      picked.push(...run.items.slice(start, Math.min(run.hi, start + limit)));
    } else if (pos.key !== null) {
      const end = boundary(run, ordering, pos.key, !pos.inclusive);
      picked.push(...run.items.slice(Math.max(run.lo, end - limit), end));
    }
  }
  picked.sort(sort);
  const items = pos.forward ? picked.slice(0, limit) : picked.slice(-limit);
  const first = items[0];
  const last = items.at(-1);
  if (first !== undefined && last !== undefined) {
    const firstKey = ordering.keyOf(first);
    const lastKey = ordering.keyOf(last);
    return {
      items,
      previous: existsBefore(runs, ordering, firstKey, false)
        ? { forward: false, key: firstKey, inclusive: false }
        : null,
      next: existsAfter(runs, ordering, lastKey, false) ? { forward: true, key: lastKey, inclusive: false } : null,
    };
  }
  // An empty page (a filter matched nothing, or everything past the cursor went away): link back
  // to whatever lies on the other side of the cursor, including an item at the cursor itself.
  if (pos.key === null) return { items, previous: null, next: null };
  const other = !pos.inclusive;
  if (pos.forward) {
    const previous = existsBefore(runs, ordering, pos.key, other)
      ? { forward: false, key: pos.key, inclusive: other }
      : null;
    return { items, previous, next: null };
  }
  const next = existsAfter(runs, ordering, pos.key, other) ? { forward: true, key: pos.key, inclusive: other } : null;
  return { items, previous: null, next };
}

/** Whether any run holds an item before `key` (or at it, when `orEqual`). */
function existsBefore<T>(runs: readonly Run<T>[], ordering: Ordering<T>, key: SortKey, orEqual: boolean): boolean {
  return runs.some((run) => boundary(run, ordering, key, !orEqual) > run.lo);
}

/** Whether any run holds an item after `key` (or at it, when `orEqual`). */
function existsAfter<T>(runs: readonly Run<T>[], ordering: Ordering<T>, key: SortKey, orEqual: boolean): boolean {
  return runs.some((run) => boundary(run, ordering, key, orEqual) < run.hi);
}
