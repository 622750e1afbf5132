/**
 * A lenient valibot schema for Argyle's gig object. Only what the mirror indexes is checked;
 * every other field (and any field Argyle adds later) is kept untouched, and anything may be
 * null, as Argyle's objects are in practice. Money and distances stay decimal strings.
 * @module
 */
import * as v from "valibot";
import { ArgyleIdSchema } from "./webhook-schema.ts";

const OptionalText = v.nullish(v.string(), null);

export const GigSchema = v.looseObject({
  id: ArgyleIdSchema,
  account: ArgyleIdSchema,
  employer: OptionalText,
  status: OptionalText,
  type: OptionalText,
  start_datetime: OptionalText,
  end_datetime: OptionalText,
  updated_at: OptionalText,
});

export type Gig = v.InferOutput<typeof GigSchema>;

/** Epoch milliseconds of an ISO 8601 datetime, or null when absent or unreadable. */
export function toEpochMs(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
