/**
 * Builds one realistic gig object from a random stream: times that follow each other
 * (request → accept → pickup → dropoff), task events and per-order income that add up to the
 * gig's, and the nulls real platforms leave (unreported tips, cancel_at, rates, breaks).
 * @module
 */
import { gigCircumstances, taskDetails } from "./gig-tasks.ts";
import { datetimes, gigTimes, isoMillis, isoSeconds, plannedDuration } from "./gig-timeline.ts";
import { buildIncome, type IncomeParts, incomeMetadata, incomeRates } from "./income.ts";
import type { Account, EarningType, Gig, GigStatus, GigType } from "./model.ts";
import { type Platform, randomLocation } from "./platforms.ts";
import type { Random } from "./random.ts";

export interface GigSpec {
  account: Account;
  platform: Platform;
  startMs: number;
  /** The dataset's "now": gigs still running at this time are `in_progress`. */
  nowMs: number;
  /** When Argyle first saw the gig; by default shortly after it ended. */
  createdMs?: number;
  /** The gig's ID for its `created_at` (the caller keeps IDs unique). */
  newId: (createdMs: number) => string;
}

const HOUR = 3_600_000;

/** One gig, following `spec`. */
export function buildGig(random: Random, spec: GigSpec): Gig {
  const { platform } = spec;
  const earning = pickEarningType(random);
  if (earning !== "work" && earning !== "offer") return buildPayout(random, spec, earning);

  const type = random.pick(platform.types);
  const pool = type === "rideshare" && random.chance(0.12);
  const tasks = type === "delivery" && random.chance(0.2) ? random.int(2, 3) : pool ? 2 : 1;
  const plannedSeconds = plannedDuration(random, type, tasks);
  const startMs = Math.floor(spec.startMs / 1000) * 1000;
  const status: GigStatus =
    startMs + plannedSeconds * 1000 > spec.nowMs
      ? "in_progress"
      : random.chance(type === "hourly" ? 0.03 : 0.06)
        ? "cancelled"
        : "completed";
  const times = gigTimes(random, type, status, startMs, plannedSeconds, platform.breaksNull);
  const endMs = times.end;
  const duration = endMs === null ? null : Math.round((endMs - startMs) / 1000);

  const start = randomLocation(random, platform.city);
  const end = type === "hourly" ? start : randomLocation(random, platform.city);
  const distance =
    type === "hourly"
      ? null
      : status === "cancelled"
        ? random.int(0, 150) / 100
        : perTaskDistance(random, type) * tasks;
  const parts = workIncome(random, platform, type, tasks, status, duration);
  const createdMs = createdAt(random, spec, endMs ?? startMs);
  return {
    id: spec.newId(createdMs),
    account: spec.account.id,
    employer: platform.employer,
    created_at: isoMillis(createdMs),
    updated_at: isoMillis(updatedAt(random, spec, createdMs)),
    status,
    type,
    task_count: tasks,
    start_datetime: isoSeconds(startMs),
    end_datetime: endMs === null ? null : isoSeconds(endMs),
    all_datetimes: times.all,
    duration,
    timezone: platform.city.timezone,
    earning_type: earning,
    start_location: start,
    end_location: end,
    task_details: taskDetails(random, { type, tasks, all: times.all, start, end, parts, platform }),
    distance: distance === null ? null : distance.toFixed(2),
    distance_unit: distance === null ? null : platform.distanceUnit,
    metadata: incomeMetadata(parts.other),
    circumstances: gigCircumstances(random, type, pool, platform),
    income: buildIncome(parts),
    income_rates: platform.reportsRates ? incomeRates(parts, duration, distance) : { hour: null, mile: null },
  };
}

function pickEarningType(random: Random): EarningType {
  const r = random.next();
  if (r < 0.92) return "work";
  if (r < 0.95) return "incentive";
  if (r < 0.97) return "adjustment";
  if (r < 0.99) return "other";
  return "offer";
}

/** Incentives, adjustments and other payouts: money without a task, so no places or tasks. */
function buildPayout(random: Random, spec: GigSpec, earning: EarningType): Gig {
  const { platform } = spec;
  const startMs = Math.floor(spec.startMs / 1000) * 1000;
  const other = earning === "incentive" ? 0 : earning === "adjustment" ? -random.int(50, 2000) : random.int(500, 3000);
  const parts: IncomeParts = {
    currency: platform.currency,
    pay: 0,
    tips: null,
    bonus: earning === "incentive" ? random.int(500, 5000) : 0,
    other,
    fees: null,
    customerPrice: false,
  };
  const createdMs = createdAt(random, spec, startMs);
  return {
    id: spec.newId(createdMs),
    account: spec.account.id,
    employer: platform.employer,
    created_at: isoMillis(createdMs),
    updated_at: isoMillis(updatedAt(random, spec, createdMs)),
    status: "completed",
    type: random.pick(platform.types),
    task_count: 0,
    start_datetime: isoSeconds(startMs),
    end_datetime: isoSeconds(startMs),
    all_datetimes: datetimes({ breaks: platform.breaksNull ? null : [] }),
    duration: 0,
    timezone: platform.city.timezone,
    earning_type: earning,
    start_location: null,
    end_location: null,
    task_details: { events: [], orders: [] },
    distance: null,
    distance_unit: null,
    metadata: incomeMetadata(other, earning === "other" ? "Referral reward" : "Pay adjustment"),
    circumstances: {},
    income: buildIncome(parts),
    income_rates: { hour: null, mile: null },
  };
}

function perTaskDistance(random: Random, type: GigType): number {
  const max = type === "rideshare" ? 1500 : type === "services" ? 1000 : 800;
  return random.int(30, max) / 100;
}

function workIncome(
  random: Random,
  platform: Platform,
  type: GigType,
  tasks: number,
  status: GigStatus,
  duration: number | null,
): IncomeParts {
  const fees = platform.reportsCharges ? random.int(150, 1200) : null;
  const base = { currency: platform.currency, fees, customerPrice: platform.reportsCharges && random.chance(0.7) };
  if (status === "cancelled") {
    return { ...base, pay: random.chance(0.5) ? random.int(300, 700) : 0, tips: null, bonus: 0, other: 0 };
  }
  const tipsKnown = status === "completed" && !random.chance(platform.tipsUnreported);
  const tips = tipsKnown ? (random.chance(0.8) ? random.int(100, 1500) : 0) : null;
  const bonus = random.chance(0.1) ? random.int(100, 800) : 0;
  const other = random.chance(0.08) ? -random.int(20, 600) : 0;
  const hours = (duration ?? 3600) / 3600;
  const pay =
    type === "hourly"
      ? Math.round(hours * random.int(1600, 2600))
      : type === "services"
        ? random.int(2500, 12_000)
        : tasks * random.int(300, type === "rideshare" ? 4000 : 1000);
  return { ...base, pay, tips, bonus, other };
}

function createdAt(random: Random, spec: GigSpec, anchorMs: number): number {
  if (spec.createdMs !== undefined) return spec.createdMs;
  return Math.min(anchorMs + random.int(60, 6 * 3600) * 1000 + random.int(0, 999), spec.nowMs);
}

function updatedAt(random: Random, spec: GigSpec, createdMs: number): number {
  if (spec.createdMs !== undefined || !random.chance(0.2)) return createdMs;
  return Math.max(createdMs, Math.min(createdMs + random.int(1, 72) * HOUR, spec.nowMs));
}
