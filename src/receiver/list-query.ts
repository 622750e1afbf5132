/**
 * Glue between the list routes and the shared list machinery: validating a request's query and
 * path id, and turning cursors into the full URLs clients follow (Argyle's `next` is a URL too).
 * @module
 */
import type { Context } from "hono";
import * as v from "valibot";
import {
  ArgyleIdParam,
  describeFieldErrors,
  type ListRequest,
  type ListSpec,
  pageCursors,
  parseListRequest,
} from "../domain/list-params.ts";
import { fail } from "./errors.ts";

/** The validated request of an /api list; a 400 in our error shape otherwise. */
export function parseOpsList<F, K>(c: Context, spec: ListSpec<F, K>): ListRequest<F, K> {
  const parsed = parseListRequest(spec, c.req.query());
  if (!parsed.ok) fail(400, "invalid_parameter", describeFieldErrors(parsed.errors));
  return parsed.value;
}

/** The `:id` path parameter, lowercased, if it has the shape of an id (ours and Argyle's share it), else null. */
export function pathId(c: Context): string | null {
  const parsed = v.safeParse(ArgyleIdParam, c.req.param("id"));
  return parsed.success ? parsed.output : null;
}

/** The URL of this list with only `cursor` set: the origin the client used, so links work behind any hostname. */
export function listUrl(c: Context, cursor: string | null): string | null {
  if (cursor === null) return null;
  const url = new URL(c.req.url);
  return `${url.origin}${url.pathname}?cursor=${cursor}`;
}

/** An /api list body: `{"data": [...], "next": url | null}`, newest or first items first. */
export function opsPage<F, K, T>(
  c: Context,
  spec: ListSpec<F, K>,
  request: ListRequest<F, K>,
  page: { rows: T[]; hasMore: boolean },
  keyOf: (row: T) => K,
): { data: T[]; next: string | null } {
  const first = page.rows[0];
  const last = page.rows.at(-1);
  const edges = { first: first && keyOf(first), last: last && keyOf(last) };
  return { data: page.rows, next: listUrl(c, pageCursors(spec, request, edges, page.hasMore).next) };
}
