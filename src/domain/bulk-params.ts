/**
 * The request bodies of the bulk actions: `{"filter": {...}, "limit": n, "cursor": id}`, all
 * optional. Shared by the API routes and the console's forms so both accept exactly the same.
 * @module
 */
import * as v from "valibot";
import { MAX_BULK_LIMIT } from "./bulk-actions.ts";
import { timeOrderedIdFloor } from "./ids.ts";
import { ArgyleIdParam, DatetimeParam } from "./list-params.ts";
import type { InvalidEventFilter, OpenFailureFilter } from "./storage/console-bulk.ts";

const Limit = v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(MAX_BULK_LIMIT));
const Name = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

export const ReplayRequest = v.strictObject({
  filter: v.optional(
    v.pipe(
      v.strictObject({
        event: v.optional(Name),
        account: v.optional(ArgyleIdParam),
        since: v.optional(DatetimeParam),
      }),
      v.transform(
        ({ since, ...rest }): InvalidEventFilter => ({
          ...(rest.event !== undefined ? { event: rest.event } : {}),
          ...(rest.account !== undefined ? { account: rest.account } : {}),
          ...(since !== undefined ? { minId: timeOrderedIdFloor(since) } : {}),
        }),
      ),
    ),
    {},
  ),
  limit: v.optional(Limit, MAX_BULK_LIMIT),
  cursor: v.optional(v.nullable(ArgyleIdParam), null),
});

export const RetryRequest = v.strictObject({
  filter: v.optional(
    v.pipe(
      v.strictObject({ account: v.optional(ArgyleIdParam), kind: v.optional(Name), reason: v.optional(Name) }),
      v.transform(
        (f): OpenFailureFilter => Object.fromEntries(Object.entries(f).filter(([, value]) => value !== undefined)),
      ),
    ),
    {},
  ),
  limit: v.optional(Limit, MAX_BULK_LIMIT),
  cursor: v.optional(v.nullable(ArgyleIdParam), null),
});

/** One line naming every problem, for `{"error": {"message"}}`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues.map((issue) => `${v.getDotPath(issue) ?? "body"}: ${issue.message}`).join("; ");
}
