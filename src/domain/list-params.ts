/**
 * Query parameters shared by every list route (Argyle's GET /v2/gigs and our /api lists): filters,
 * `limit`, and an opaque `cursor` that carries the filters, the limit, the position and the
 * direction, so a `next` URL needs no other parameter (as Argyle's do). Problems come back per
 * field in Argyle's shape, `{"limit": ["…"]}`; the /api routes flatten them into one message.
 * @module
 */
import * as v from "valibot";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { parseIsoDatetimeMs } from "./datetime.ts";
import { ARGYLE_ID_PATTERN } from "./ids.ts";

/** Validation messages per parameter: the body of Argyle's 400s. */
export type FieldErrors = Record<string, string[]>;

export type ParamsResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/** "next" continues after the position in display order; "previous" goes back before it. */
export type Direction = "next" | "previous";

/** Where a page starts: after (or before) `key`, which is included only when `inclusive`. */
export interface Position<K> {
  key: K;
  dir: Direction;
  inclusive: boolean;
}

/** A validated list request. `params` are the filter parameters as given, carried in cursors. */
export interface ListRequest<F, K> {
  filters: F;
  params: Record<string, string>;
  limit: number;
  position: Position<K> | null;
}

export interface ListSpecInput<F, K> {
  /** Stamped into cursors so that one list refuses another list's cursor. */
  name: string;
  filterNames: readonly string[];
  /** Validates the given filter parameters (strings) into filters. */
  filters: v.GenericSchema<Record<string, string>, F>;
  /** Validates the position key a cursor carries. */
  key: v.GenericSchema<unknown, K>;
  defaultLimit: number;
  maxLimit: number;
}

export interface ListSpec<F, K> extends ListSpecInput<F, K> {
  limitParam: v.GenericSchema<string, number>;
  cursor: v.GenericSchema<unknown, CursorPayload<K>>;
}

interface CursorPayload<K> {
  t: string;
  q: Record<string, string>;
  l: number;
  k: K;
  d: Direction;
  x?: true | undefined;
}

/** Messages worded as Django's, which serves Argyle's API, so ours read like Argyle's. */
export const MESSAGES = {
  uuid: "Enter a valid UUID.",
  datetime: "Enter a valid date/time.",
  integer: "Enter a whole number.",
  choice: "Select a valid choice. That choice is not one of the available choices.",
  cursor: "Invalid cursor.",
  cursorMismatch: "Does not match the cursor, which carries this filter already; drop it or start over.",
} as const;

/**
 * An Argyle ID parameter (a UUID in shape; see ids.ts for why not RFC 4122), lowercased as every
 * stored ID is, so `?account=<UPPERCASE>` finds the account's rows.
 */
export const ArgyleIdParam = v.pipe(
  v.string(),
  v.maxLength(36, MESSAGES.uuid),
  v.regex(ARGYLE_ID_PATTERN, MESSAGES.uuid),
  v.toLowerCase(),
);

/** A lenient ISO 8601 datetime parameter, to epoch milliseconds. */
export const DatetimeParam = v.pipe(
  v.string(),
  v.maxLength(64, MESSAGES.datetime),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const ms = parseIsoDatetimeMs(dataset.value);
    if (ms === null) {
      addIssue({ message: MESSAGES.datetime });
      return NEVER;
    }
    return ms;
  }),
);

/** One of `choices`. */
export function choiceParam<const T extends readonly string[]>(choices: T) {
  return v.picklist(choices, MESSAGES.choice);
}

/** Builds a list's spec: its limit and cursor schemas follow from its settings. */
export function defineList<F, K>(input: ListSpecInput<F, K>): ListSpec<F, K> {
  const { maxLimit } = input;
  const limitParam = v.pipe(
    v.string(),
    v.regex(/^\d{1,9}$/, MESSAGES.integer),
    v.transform(Number),
    v.minValue(1, "Ensure this value is greater than or equal to 1."),
    v.maxValue(maxLimit, `Ensure this value is less than or equal to ${maxLimit}.`),
  );
  const cursor = v.object({
    t: v.literal(input.name),
    q: v.record(v.picklist(input.filterNames), v.pipe(v.string(), v.maxLength(200))),
    l: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(maxLimit)),
    k: input.key,
    d: v.picklist(["next", "previous"]),
    x: v.optional(v.literal(true)),
  }) as v.GenericSchema<unknown, CursorPayload<K>>;
  return { ...input, limitParam, cursor };
}

/**
 * Validates a list request's query. With a `cursor`, the cursor's filters apply; a filter given
 * next to it must repeat the cursor's value (refusing beats silently listing something else),
 * and `limit` may change between pages (keyset pagination does not care).
 */
export function parseListRequest<F, K>(
  spec: ListSpec<F, K>,
  query: Record<string, string>,
): ParamsResult<ListRequest<F, K>> {
  const errors: FieldErrors = {};
  const given: Record<string, string> = {};
  // Empty values mean "not given", as in Django's filters (forms send `account=`).
  for (const name of spec.filterNames) if (query[name]) given[name] = query[name];

  let limit: number | undefined;
  if (query.limit) {
    const parsed = v.safeParse(spec.limitParam, query.limit, { abortPipeEarly: true });
    if (parsed.success) limit = parsed.output;
    else errors.limit = [parsed.issues[0].message];
  }

  let params = given;
  let position: Position<K> | null = null;
  if (query.cursor) {
    const cursor = decodeCursor(spec.cursor, query.cursor);
    if (!cursor || !v.is(spec.filters, cursor.q)) {
      errors.cursor = [MESSAGES.cursor];
    } else {
      for (const [name, value] of Object.entries(given)) {
        if (cursor.q[name] !== value) errors[name] = [MESSAGES.cursorMismatch];
      }
      params = cursor.q;
      limit ??= cursor.l;
      position = { key: cursor.k, dir: cursor.d, inclusive: cursor.x === true };
    }
  }

  const filters = v.safeParse(spec.filters, params, { abortPipeEarly: true });
  if (!filters.success) Object.assign(errors, fieldErrors(filters.issues));
  if (!filters.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { filters: filters.output, params, limit: limit ?? spec.defaultLimit, position } };
}

/**
 * The cursors of the pages around one just listed. `first`/`last` are the keys of its first and
 * last rows in display order (undefined when empty); `hasMore` says whether a row lies beyond it
 * in the direction of travel. An empty page keeps its own position, so the way back still includes
 * the row it started from.
 */
export function pageCursors<F, K>(
  spec: ListSpec<F, K>,
  request: ListRequest<F, K>,
  edges: { first: K | undefined; last: K | undefined },
  hasMore: boolean,
): { next: string | null; previous: string | null } {
  const cursor = (key: K, dir: Direction, inclusive = false): string =>
    encodeCursor({
      t: spec.name,
      q: request.params,
      l: request.limit,
      k: key,
      d: dir,
      ...(inclusive ? { x: true } : {}),
    });
  const { position } = request;
  const { first, last } = edges;
  if (position === null || position.dir === "next") {
    let previous: string | null = null;
    if (position !== null) {
      previous =
        first !== undefined ? cursor(first, "previous") : cursor(position.key, "previous", !position.inclusive);
    }
    return { next: hasMore && last !== undefined ? cursor(last, "next") : null, previous };
  }
  return {
    next: last !== undefined ? cursor(last, "next") : cursor(position.key, "next", !position.inclusive),
    previous: hasMore && first !== undefined ? cursor(first, "previous") : null,
  };
}

/** All messages of `errors` in one line, for the /api routes' `{"error": {"message"}}`. */
export function describeFieldErrors(errors: FieldErrors): string {
  return Object.entries(errors)
    .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
    .join("; ");
}

function fieldErrors(issues: readonly v.BaseIssue<unknown>[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const field = String(issue.path?.[0]?.key ?? "non_field_errors");
    errors[field] ??= [];
    errors[field].push(issue.message);
  }
  return errors;
}
