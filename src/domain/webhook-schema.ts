/**
 * Valibot schemas for Argyle's webhook payloads: the `{event, name, data}` envelope every event
 * shares, and the five gig events in full. Lenient where Argyle is loose: counts may be numbers
 * or numeric strings, unknown fields are kept, informational fields may be null or absent.
 * @see ../../README.md#http-contract and Argyle's gigs webhooks reference
 * @module
 */
import * as v from "valibot";
import { ARGYLE_ID_PATTERN } from "./ids.ts";

/**
 * An Argyle ID: UUID-shaped, version bits not checked (Argyle's IDs ignore them), and lowercased.
 * The shape check accepts either case, so the value must be normalised too: stored rows and
 * lookups compare exact strings, and Argyle's own IDs are lowercase. Used by the webhook payloads,
 * the job messages and the gig object's key fields (the stored object itself stays as received).
 */
export const ArgyleIdSchema = v.pipe(
  v.string(),
  v.regex(ARGYLE_ID_PATTERN, "must be an Argyle ID (8-4-4-4-12 hex digits)"),
  v.toLowerCase(),
);

/** A count: Argyle documents integers, an older revision strings; both are accepted. */
const CountSchema = v.union(
  [
    v.pipe(v.number(), v.integer(), v.minValue(0)),
    v.pipe(v.string(), v.regex(/^\s*\d{1,15}\s*$/), v.transform(Number)),
  ],
  "must be a non-negative integer or numeric string",
);

/** Any datetime JavaScript can read: Argyle's precision and offsets vary. */
const DatetimeSchema = v.pipe(
  v.string(),
  v.maxLength(100),
  v.check((s) => !Number.isNaN(Date.parse(s)), "must be a datetime"),
);

/**
 * Argyle's counts and date ranges are informational (the event log keeps them; `gigs.added`'s
 * window is the one used, and without it the account is backfilled instead). A value in a shape
 * we do not expect becomes null rather than making the event invalid, so a cosmetic change on
 * Argyle's side can never stop the mirror. What the work depends on (account, user, gig IDs)
 * stays strict.
 */
const OptionalDatetime = v.fallback(v.nullish(DatetimeSchema, null), null);
const OptionalCount = v.fallback(v.nullish(CountSchema, null), null);

/** The envelope shared by every Argyle event. `name` is the subscription's name, not the event's. */
export const EnvelopeSchema = v.looseObject({
  event: v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(200)),
  name: v.pipe(v.string(), v.maxLength(1000)),
  data: v.looseObject({}),
});

/** Fields every gig event carries. */
const gigEventBase = {
  account: ArgyleIdSchema,
  user: ArgyleIdSchema,
  available_from: OptionalDatetime,
  available_to: OptionalDatetime,
  available_count: OptionalCount,
};

const GigIdListSchema = v.pipe(v.array(ArgyleIdSchema), v.maxLength(100_000));

export const GIG_EVENT_DATA_SCHEMAS = {
  "gigs.added": v.looseObject({
    ...gigEventBase,
    added_count: OptionalCount,
    // The window of the new gigs. Argyle sends both; if not, the consumer backfills instead.
    added_from: OptionalDatetime,
    added_to: OptionalDatetime,
  }),
  "gigs.updated": v.looseObject({
    ...gigEventBase,
    updated_count: OptionalCount,
    updated_gigs: GigIdListSchema,
    updated_from: OptionalDatetime,
    updated_to: OptionalDatetime,
  }),
  "gigs.removed": v.looseObject({
    ...gigEventBase,
    removed_count: OptionalCount,
    removed_gigs: GigIdListSchema,
    removed_from: OptionalDatetime,
    removed_to: OptionalDatetime,
  }),
  "gigs.partially_synced": v.looseObject({ ...gigEventBase, days_synced: OptionalCount }),
  "gigs.fully_synced": v.looseObject({ ...gigEventBase }),
} as const;

export type GigEventName = keyof typeof GIG_EVENT_DATA_SCHEMAS;
export const GIG_EVENT_NAMES = Object.keys(GIG_EVENT_DATA_SCHEMAS) as GigEventName[];

type DataOf<E extends GigEventName> = v.InferOutput<(typeof GIG_EVENT_DATA_SCHEMAS)[E]>;

/** A validated gig event, discriminated on `event`. */
export type GigEvent = {
  [E in GigEventName]: { event: E; name: string; data: DataOf<E> };
}[GigEventName];

/** One validation problem, as stored with an `invalid` event and shown by the API. */
export interface Issue {
  path: string;
  message: string;
}

/** What a signed body turned out to be. */
export type ParsedWebhook =
  | { kind: "gig"; envelope: GigEvent }
  | { kind: "other"; event: string; name: string; data: Record<string, unknown> }
  | { kind: "invalid"; issues: Issue[]; partial: Partial<{ event: string; name: string; data: unknown }> };

export function isGigEventName(event: string): event is GigEventName {
  return Object.hasOwn(GIG_EVENT_DATA_SCHEMAS, event);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Decodes, parses and validates a signed webhook body. Never throws: anything unusable comes back
 * as `invalid` with its issues, so the caller can record it for audit and later replay.
 */
export function parseWebhook(body: Uint8Array): ParsedWebhook {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(body));
  } catch {
    return { kind: "invalid", issues: [{ path: "", message: "body is not UTF-8 JSON" }], partial: {} };
  }
  const envelope = v.safeParse(EnvelopeSchema, json);
  if (!envelope.success) {
    return { kind: "invalid", issues: toIssues(envelope.issues), partial: partialEnvelope(json) };
  }
  const { event, name, data } = envelope.output;
  if (!isGigEventName(event)) return { kind: "other", event, name, data };
  const parsed = v.safeParse(GIG_EVENT_DATA_SCHEMAS[event], data);
  if (!parsed.success) {
    return { kind: "invalid", issues: toIssues(parsed.issues, "data"), partial: { event, name, data } };
  }
  return { kind: "gig", envelope: { event, name, data: parsed.output } as GigEvent };
}

const MAX_ISSUES = 20;

function toIssues(issues: readonly v.BaseIssue<unknown>[], prefix?: string): Issue[] {
  return issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = v.getDotPath(issue);
    return {
      path: [prefix, path].filter(Boolean).join("."),
      message: issue.message,
    };
  });
}

/** Whatever envelope fields are usable, so an invalid event can still be filed under its account. */
function partialEnvelope(json: unknown): Partial<{ event: string; name: string; data: unknown }> {
  if (typeof json !== "object" || json === null) return {};
  const { event, name, data } = json as Record<string, unknown>;
  return {
    ...(typeof event === "string" ? { event: event.slice(0, 200) } : {}),
    ...(typeof name === "string" ? { name: name.slice(0, 1000) } : {}),
    data,
  };
}
