/**
 * The parameters of Argyle's GET /v2/gigs, as our mirror serves it: `account`, `user`,
 * `from_start_datetime` and `to_start_datetime` (inclusive bounds on `start_datetime`), `limit`
 * (default 10, at most 200) and `cursor`. Gigs are ordered as Argyle lists them: newest start
 * first, then id; a gig without a start sorts last.
 * @see ../../README.md and Argyle's "List all gigs" reference
 * @module
 */
import * as v from "valibot";
import { ArgyleIdParam, DatetimeParam, defineList, type ListRequest } from "./list-params.ts";

export interface GigFilters {
  account?: string;
  user?: string;
  /** Inclusive lower bound on `start_ms`. */
  fromMs?: number;
  /** Inclusive upper bound on `start_ms`. */
  toMs?: number;
}

/** A gig's place in the list: its start in epoch ms (descending; null sorts last), then its id (ascending). */
export type GigKey = [startMs: number | null, id: string];

export type GigListRequest = ListRequest<GigFilters, GigKey>;

export const GIG_LIST = defineList<GigFilters, GigKey>({
  name: "gigs",
  filterNames: ["account", "user", "from_start_datetime", "to_start_datetime"],
  filters: v.pipe(
    v.strictObject({
      account: v.optional(ArgyleIdParam),
      user: v.optional(ArgyleIdParam),
      from_start_datetime: v.optional(DatetimeParam),
      to_start_datetime: v.optional(DatetimeParam),
    }),
    v.transform(
      (p): GigFilters => ({
        ...(p.account !== undefined ? { account: p.account } : {}),
        ...(p.user !== undefined ? { user: p.user } : {}),
        ...(p.from_start_datetime !== undefined ? { fromMs: p.from_start_datetime } : {}),
        ...(p.to_start_datetime !== undefined ? { toMs: p.to_start_datetime } : {}),
      }),
    ),
  ),
  key: v.tuple([v.nullable(v.pipe(v.number(), v.safeInteger())), v.pipe(v.string(), v.minLength(1), v.maxLength(200))]),
  defaultLimit: 10,
  maxLimit: 200,
});
