/**
 * What a refresh at Argyle changes in a gig that already exists: a running gig completes, a
 * tip arrives or is corrected, a cancellation fee or payout is adjusted. Income stays
 * consistent (total = pay + tips + bonus + other, orders sum to the gig).
 * @module
 */
import { datetimes, isoMillis, isoSeconds } from "./gig-timeline.ts";
import { buildIncome, type IncomeParts, incomeMetadata, incomeParts, incomeRates, splitIncome } from "./income.ts";
import type { Gig, TaskEvent } from "./model.ts";
import type { Random } from "./random.ts";

/**
 * A copy of `gig` with at least one property changed and `updated_at` set to `updatedMs`.
 * `gig` itself is left as it was, so objects handed out earlier stay snapshots.
 */
export function changeGig(random: Random, gig: Gig, updatedMs: number, reportsRates: boolean): Gig {
  const next = structuredClone(gig);
  next.updated_at = isoMillis(updatedMs);
  const parts = incomeParts(gig.income);
  if (gig.status === "in_progress") {
    complete(random, next, updatedMs);
    parts.tips = random.chance(0.7) ? random.int(100, 1500) : parts.tips;
  } else if (gig.task_count === 0) {
    // A payout or adjustment corrected after the fact.
    if (parts.bonus) parts.bonus += nonZero(random, parts.bonus);
    else parts.other = (parts.other ?? 0) + nonZero(random, parts.other ?? 0);
  } else if (gig.status === "cancelled") {
    parts.pay += random.int(100, 500);
  } else {
    // The classic late change: a tip shows up, or a tip is adjusted.
    parts.tips = parts.tips === null ? random.int(100, 1500) : parts.tips + nonZero(random, parts.tips);
  }
  setIncome(next, parts, reportsRates);
  return next;
}

/** A change of up to 3.00, never zero, that cannot take a non-negative `value` below zero. */
function nonZero(random: Random, value: number): number {
  return random.int(1, 300) * (value >= 300 && random.chance(0.4) ? -1 : 1);
}

/** Ends a running gig: end time, duration, dropoff (or shift end) and the dropoff events. */
function complete(random: Random, gig: Gig, nowMs: number): void {
  const startMs = Date.parse(gig.start_datetime);
  const minutes = gig.type === "hourly" ? random.int(4, 8) * 60 : random.int(8, 60);
  const endMs = Math.max(startMs + 60_000, Math.min(startMs + minutes * 60_000, nowMs));
  const end = isoSeconds(endMs);
  gig.status = "completed";
  gig.end_datetime = end;
  gig.duration = Math.round((Date.parse(end) - startMs) / 1000);
  const all = gig.all_datetimes;
  if (gig.type === "hourly") {
    gig.all_datetimes = datetimes({ ...all, shift_end: end });
    return;
  }
  if (gig.type === "services") return;
  gig.all_datetimes = datetimes({ ...all, pickup_at: all.pickup_at ?? all.accept_at, dropoff_at: end });
  const events = gig.task_details.events;
  const at = gig.end_location;
  for (const order of gig.task_details.orders) {
    const dropoff: TaskEvent = {
      order_id: order.order_id,
      sequence: String(events.length + 1),
      type: "dropoff",
      name: null,
      formatted_address: at?.formatted_address ?? null,
      lat: at?.lat ?? null,
      lng: at?.lng ?? null,
      datetime: end,
    };
    events.push(dropoff);
  }
}

/** Writes `parts` into the gig's income, its orders' incomes, rates and metadata. */
function setIncome(gig: Gig, parts: IncomeParts, reportsRates: boolean): void {
  gig.income = buildIncome(parts);
  const orders = gig.task_details.orders;
  splitIncome(parts, orders.length).forEach((share, i) => {
    const order = orders[i];
    if (order) order.income = buildIncome(share);
  });
  const distance = gig.distance === null ? null : Number(gig.distance);
  if (reportsRates) gig.income_rates = incomeRates(parts, gig.duration, distance);
  const reason = (gig.metadata["income.other"] as { name?: string } | undefined)?.name;
  gig.metadata = { ...gig.metadata, ...incomeMetadata(parts.other, reason) };
  if (!parts.other) delete gig.metadata["income.other"];
}
