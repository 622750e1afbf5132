/**
 * The parameters of our operational lists (/api/events, /api/accounts, /api/failures): a few
 * filters each, `limit` (default 50, at most 200) and `cursor`. Events and failures list newest
 * first (their ids are time-ordered); accounts list by id.
 * @module
 */
import * as v from "valibot";
import { timeOrderedIdFloor } from "./ids.ts";
import { ArgyleIdParam, choiceParam, DatetimeParam, defineList, type ListRequest } from "./list-params.ts";
import type { EventStatus } from "./storage/events.ts";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

/** Our ids and Argyle's share one shape; a cursor key is one of them. */
const IdKey = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

export const EVENT_STATUSES = ["accepted", "recorded", "invalid"] as const satisfies readonly EventStatus[];

export interface EventFilters {
  event?: string;
  account?: string;
  status?: EventStatus;
  /** Only events with an id at or above this: received at or after `since`. */
  minId?: string;
}

export const EVENT_LIST = defineList<EventFilters, string>({
  name: "events",
  filterNames: ["event", "account", "status", "since"],
  filters: v.pipe(
    v.strictObject({
      // Event names are whatever Argyle sent (kept to 200 characters when stored).
      event: v.optional(v.pipe(v.string(), v.maxLength(200, "Ensure this field has no more than 200 characters."))),
      account: v.optional(ArgyleIdParam),
      status: v.optional(choiceParam(EVENT_STATUSES)),
      since: v.optional(DatetimeParam),
    }),
    v.transform(
      ({ since, ...rest }): EventFilters => ({
        ...definedOnly(rest),
        ...(since !== undefined ? { minId: timeOrderedIdFloor(since) } : {}),
      }),
    ),
  ),
  key: IdKey,
  defaultLimit: DEFAULT_LIMIT,
  maxLimit: MAX_LIMIT,
});

export type EventListRequest = ListRequest<EventFilters, string>;

export const ACCOUNT_LIST = defineList<Record<string, never>, string>({
  name: "accounts",
  filterNames: [],
  filters: v.pipe(
    v.strictObject({}),
    v.transform(() => ({})),
  ),
  key: IdKey,
  defaultLimit: DEFAULT_LIMIT,
  maxLimit: MAX_LIMIT,
});

export type AccountListRequest = ListRequest<Record<string, never>, string>;

export const FAILURE_STATUSES = ["open", "redriven"] as const;
export type FailureStatus = (typeof FAILURE_STATUSES)[number];

export interface FailureFilters {
  status?: FailureStatus;
  account?: string;
}

export const FAILURE_LIST = defineList<FailureFilters, string>({
  name: "failures",
  filterNames: ["status", "account"],
  filters: v.pipe(
    v.strictObject({ status: v.optional(choiceParam(FAILURE_STATUSES)), account: v.optional(ArgyleIdParam) }),
    v.transform(definedOnly),
  ),
  key: IdKey,
  defaultLimit: DEFAULT_LIMIT,
  maxLimit: MAX_LIMIT,
});

export type FailureListRequest = ListRequest<FailureFilters, string>;

function definedOnly<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
