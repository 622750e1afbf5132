/**
 * The shapes the local Argyle serves, field for field as Argyle documents them: the gig object
 * (GET /v2/gigs), the webhook subscription (/v2/webhooks) and the gig webhook payloads.
 * Money and distances are 2-decimal strings, coordinates are strings, and any field Argyle
 * shows as null in its examples can be null here too.
 * @module
 */

export type GigStatus = "scheduled" | "in_progress" | "completed" | "cancelled";
export type GigType = "delivery" | "rideshare" | "hourly" | "services";
export type EarningType = "offer" | "work" | "incentive" | "adjustment" | "other";
export type DistanceUnit = "miles" | "km";
export type TaskEventType = "request" | "accept" | "pickup" | "dropoff" | "other" | "cancel";

/** Gig-level income. `total` = pay + tips + bonus + other. */
export interface Income {
  currency: string;
  total_charge: string | null;
  customer_price: string | null;
  fees: string | null;
  total: string;
  pay: string;
  tips: string | null;
  bonus: string | null;
  other: string | null;
}

export interface Location {
  lat: string;
  lng: string;
  formatted_address: string;
}

export interface GigBreak {
  break_start: string;
  break_end: string;
}

export interface AllDatetimes {
  request_at: string | null;
  accept_at: string | null;
  pickup_at: string | null;
  dropoff_at: string | null;
  cancel_at: string | null;
  shift_start: string | null;
  shift_end: string | null;
  breaks: GigBreak[] | null;
}

export interface TaskEvent {
  order_id: string | null;
  sequence: string;
  type: TaskEventType;
  name: string | null;
  formatted_address: string | null;
  lat: string | null;
  lng: string | null;
  datetime: string | null;
}

export interface TaskOrder {
  order_id: string;
  sequence: string;
  income: Income;
}

/** Argyle's gig object: every documented field. */
export interface Gig {
  id: string;
  account: string;
  employer: string;
  created_at: string;
  updated_at: string;
  status: GigStatus;
  type: GigType;
  task_count: number;
  start_datetime: string;
  end_datetime: string | null;
  all_datetimes: AllDatetimes;
  duration: number | null;
  timezone: string;
  earning_type: EarningType;
  start_location: Location | null;
  end_location: Location | null;
  task_details: { events: TaskEvent[]; orders: TaskOrder[] };
  distance: string | null;
  distance_unit: DistanceUnit | null;
  metadata: Record<string, unknown>;
  circumstances: Record<string, unknown>;
  income: Income;
  income_rates: { hour: string | null; mile: string | null };
}

/** A connected payroll/gig account. The gig object itself has no `user`; webhooks carry it. */
export interface Account {
  id: string;
  user: string;
  employer: string;
}

/** Argyle's Webhook (subscription) object, as POST/GET /v2/webhooks return it. */
export interface Webhook {
  id: string;
  name: string;
  events: string[];
  config: { days_synced?: number; include_resource?: boolean };
  secret: string | null;
  url: string;
  created_at: string;
  updated_at: string;
  last_sent_at: string | null;
}

export type GigEventName =
  | "gigs.added"
  | "gigs.updated"
  | "gigs.removed"
  | "gigs.partially_synced"
  | "gigs.fully_synced";

/** Fields every gig event's `data` carries. */
export interface GigEventBase {
  account: string;
  user: string;
  available_from: string | null;
  available_to: string | null;
  available_count: number;
}

export type GigEventData =
  | (GigEventBase & { added_count: number; added_from: string | null; added_to: string | null })
  | (GigEventBase & {
      updated_count: number;
      updated_gigs: string[];
      updated_from: string | null;
      updated_to: string | null;
    })
  | (GigEventBase & {
      removed_count: number;
      removed_gigs: string[];
      removed_from: string | null;
      removed_to: string | null;
    })
  | (GigEventBase & { days_synced: number })
  | GigEventBase;

/** `accounts.removed`: the user revoked access; Argyle deleted the account and all its data. */
export interface AccountRemovedData {
  account: string;
  user: string;
}

/** A gig event without the envelope's `name`, which is the receiving subscription's. */
export interface GigEventPayload {
  event: GigEventName;
  data: GigEventData;
}
