/**
 * Query parameters of Argyle's list routes, checked the way Argyle (Django REST framework)
 * checks them: every bad parameter is reported at once, as field → list of messages.
 * @module
 */
import * as v from "valibot";
import { ARGYLE_ID_PATTERN } from "../domain/ids.ts";
import { type CursorResource, type CursorState, decodeCursor } from "./cursor.ts";
import type { Position } from "./pagination.ts";

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 200;

export type ParamErrors = Record<string, string[]>;

export interface ListRequest<Q> {
  query: Q;
  limit: number;
  position: Position | null;
}

export type Parsed<Q> = { ok: ListRequest<Q> } | { errors: ParamErrors };

/**
 * A list request from `params`: with a cursor, everything comes from the cursor (Argyle's
 * `next`/`previous` links carry nothing else); without one, from the filters and `limit`.
 */
export function parseListRequest<Q>(
  resource: CursorResource,
  params: URLSearchParams,
  querySchema: v.GenericSchema<unknown, Q>,
  parseQuery: (params: URLSearchParams, errors: ParamErrors) => Q,
): Parsed<Q> {
  const cursor = params.get("cursor");
  if (cursor !== null) {
    const state: CursorState<Q> | null = decodeCursor(resource, cursor, querySchema, MAX_LIMIT);
    if (!state) return { errors: { cursor: ["Invalid cursor"] } };
    return { ok: state };
  }
  const errors: ParamErrors = {};
  const limit = parseLimit(params.get("limit"), errors);
  const query = parseQuery(params, errors);
  return Object.keys(errors).length > 0 ? { errors } : { ok: { query, limit, position: null } };
}

function parseLimit(raw: string | null, errors: ParamErrors): number {
  if (raw === null || raw === "") return DEFAULT_LIMIT;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
    errors.limit = ["A valid integer is required."];
    return DEFAULT_LIMIT;
  }
  const n = Number(raw);
  if (n > MAX_LIMIT) errors.limit = [`Ensure this value is less than or equal to ${MAX_LIMIT}.`];
  if (n < 1) errors.limit = ["Ensure this value is greater than or equal to 1."];
  return n;
}

/** An Argyle ID parameter, or null when absent; records an error when malformed. */
export function parseIdParam(params: URLSearchParams, name: string, errors: ParamErrors): string | null {
  const raw = params.get(name);
  if (raw === null || raw === "") return null;
  if (!ARGYLE_ID_PATTERN.test(raw)) {
    errors[name] = ["Must be a valid UUID."];
    return null;
  }
  return raw.toLowerCase();
}

// Django's ISO 8601 form: date, "T" or a space, time to minutes or finer, optional zone.
// An unencoded "+00:00" arrives as " 00:00" and is refused, as Argyle would refuse it.
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A datetime parameter in ms, or null when absent; records an error when malformed. */
export function parseDatetimeParam(params: URLSearchParams, name: string, errors: ParamErrors): number | null {
  const raw = params.get(name);
  if (raw === null || raw === "") return null;
  const ms = parseIsoDatetime(raw);
  if (ms === null) errors[name] = ["Enter a valid date/time."];
  return ms;
}

/** Milliseconds for an ISO 8601 datetime (no zone = UTC), or null. */
export function parseIsoDatetime(text: string): number | null {
  const m = DATETIME.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = "0", frac = "", zone = "Z"] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(frac.padEnd(3, "0").slice(0, 3)));
  const check = new Date(utc);
  // Reject dates that Date.UTC would roll over (Feb 30, 25:00).
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  if (zone.toUpperCase() === "Z") return utc;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
  return utc - sign * offset * 60_000;
}

/** Valibot schema of a cursor's query: IDs and ms bounds as encoded by the list routes. */
export const NullableId = v.nullable(v.pipe(v.string(), v.regex(ARGYLE_ID_PATTERN)));
export const NullableMs = v.nullable(v.pipe(v.number(), v.integer()));
