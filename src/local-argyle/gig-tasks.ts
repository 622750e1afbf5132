/**
 * What a gig consisted of: `task_details` (events and orders, whose incomes add up to the
 * gig's) and the platform's `circumstances`.
 * @module
 */
import { buildIncome, type IncomeParts, splitIncome } from "./income.ts";
import type { AllDatetimes, Gig, GigType, Location, TaskEvent } from "./model.ts";
import { type Platform, randomLocation, randomVenue } from "./platforms.ts";
import type { Random } from "./random.ts";

export interface TaskSpec {
  type: GigType;
  tasks: number;
  all: AllDatetimes;
  start: Location;
  end: Location;
  parts: IncomeParts;
  platform: Platform;
}

/** Events in sequence (who accepted, picked up, dropped off what, where) and each order's income. */
export function taskDetails(random: Random, spec: TaskSpec): Gig["task_details"] {
  const { type, tasks, all, start, end, parts, platform } = spec;
  if (type === "hourly") return { events: [], orders: [] };
  const orderIds = Array.from({ length: tasks }, () => String(random.int(100_000_000, 999_999_999)));
  const events: TaskEvent[] = [];
  const add = (
    orderId: string | null,
    kind: TaskEvent["type"],
    name: string | null,
    at: Location,
    time: string | null,
  ) =>
    events.push({
      order_id: orderId,
      sequence: String(events.length + 1),
      type: kind,
      name,
      formatted_address: at.formatted_address,
      lat: at.lat,
      lng: at.lng,
      datetime: time,
    });
  if (type === "rideshare") add(null, "request", null, start, all.request_at);
  add(null, "accept", null, start, all.accept_at);
  if (all.cancel_at !== null) {
    add(null, "cancel", null, start, all.cancel_at);
  } else if (type === "services") {
    add(orderIds[0] ?? null, "other", random.pick(platform.serviceTypes), start, all.accept_at);
  } else {
    for (const id of orderIds) {
      add(id, "pickup", type === "delivery" ? randomVenue(random) : null, start, all.pickup_at);
    }
    // Every order is dropped off somewhere; the last drop is where the gig ends.
    orderIds.forEach((id, i) => {
      const at = i === orderIds.length - 1 ? end : randomLocation(random, platform.city);
      if (all.dropoff_at !== null) add(id, "dropoff", null, at, all.dropoff_at);
    });
  }
  const orders = splitIncome(parts, tasks).map((share, i) => ({
    order_id: orderIds[i] ?? String(i + 1),
    sequence: String(i + 1),
    income: buildIncome(share),
  }));
  return { events, orders };
}

/** Platform-specific flags; Argyle passes them through as they come. */
export function gigCircumstances(
  random: Random,
  type: GigType,
  pool: boolean,
  platform: Platform,
): Record<string, unknown> {
  const service_type = random.pick(platform.serviceTypes);
  if (type === "hourly" || type === "services") return { service_type, position: null };
  return {
    is_pool: pool,
    is_rush: type === "delivery" && random.chance(0.15),
    is_surge: type === "rideshare" && random.chance(0.2),
    service_type,
    position: null,
  };
}
