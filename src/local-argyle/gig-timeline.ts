/**
 * A gig's timeline in Argyle's formats: start, end and the `all_datetimes` a platform reports
 * for its gig type (request → accept → pickup → dropoff, or a shift with breaks).
 * @module
 */
import type { AllDatetimes, GigStatus, GigType } from "./model.ts";
import type { Random } from "./random.ts";

const MINUTE = 60_000;

/** ISO 8601 to the second, as Argyle writes gig times ("2023-03-08T08:08:57Z"). */
export function isoSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** ISO 8601 with milliseconds, as Argyle writes `created_at`/`updated_at`. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** How long a gig of `type` with `tasks` tasks runs, in seconds. */
export function plannedDuration(random: Random, type: GigType, tasks: number): number {
  switch (type) {
    case "delivery":
      return random.int(600, 3000) + (tasks - 1) * random.int(300, 900);
    case "rideshare":
      return random.int(420, 3600);
    case "services":
      return random.int(1800, 10_800);
    case "hourly":
      return random.int(4, 9) * 3600;
  }
}

export interface GigTimes {
  end: number | null;
  all: AllDatetimes;
}

/** The gig's timeline; ends are null while it is in progress. */
export function gigTimes(
  random: Random,
  type: GigType,
  status: GigStatus,
  startMs: number,
  plannedSeconds: number,
  breaksNull: boolean,
): GigTimes {
  const noBreaks = breaksNull ? null : [];
  const plannedEnd = startMs + plannedSeconds * 1000;
  if (type === "hourly") {
    const end = status === "in_progress" ? null : status === "cancelled" ? startMs : plannedEnd;
    const breakStart = startMs + Math.floor(plannedSeconds / 120) * MINUTE;
    const breaks =
      end !== null && plannedSeconds > 5 * 3600
        ? [{ break_start: isoSeconds(breakStart), break_end: isoSeconds(breakStart + 30 * MINUTE) }]
        : noBreaks;
    const shiftEnd = end === null ? null : isoSeconds(end);
    return { end, all: datetimes({ shift_start: isoSeconds(startMs), shift_end: shiftEnd, breaks }) };
  }
  const acceptMs = startMs + random.int(10, 90) * 1000;
  const request_at = isoSeconds(startMs);
  const accept_at = isoSeconds(acceptMs);
  if (status === "cancelled") {
    const cancelMs = acceptMs + random.int(1, 8) * MINUTE;
    return {
      end: cancelMs,
      all: datetimes({ request_at, accept_at, cancel_at: isoSeconds(cancelMs), breaks: noBreaks }),
    };
  }
  const pickupMs = Math.max(acceptMs, Math.min(acceptMs + random.int(3, 15) * MINUTE, plannedEnd - MINUTE));
  const pickup_at = type === "services" ? null : isoSeconds(pickupMs);
  const end = status === "in_progress" ? null : plannedEnd;
  const dropoff_at = end === null || type === "services" ? null : isoSeconds(end);
  return { end, all: datetimes({ request_at, accept_at, pickup_at, dropoff_at, breaks: noBreaks }) };
}

/** `all_datetimes` with every key, in Argyle's order, null unless given. */
export function datetimes(given: Partial<AllDatetimes>): AllDatetimes {
  return {
    request_at: given.request_at ?? null,
    accept_at: given.accept_at ?? null,
    pickup_at: given.pickup_at ?? null,
    dropoff_at: given.dropoff_at ?? null,
    cancel_at: given.cancel_at ?? null,
    shift_start: given.shift_start ?? null,
    shift_end: given.shift_end ?? null,
    breaks: given.breaks === undefined ? [] : given.breaks,
  };
}
