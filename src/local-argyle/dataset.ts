/**
 * Deterministic datasets: accounts, their users and their gigs, all derived from one seed.
 * Each account draws from its own stream, so adding an account never changes another's gigs.
 * @module
 */
import { buildGig } from "./gig-factory.ts";
import type { Account, Gig } from "./model.ts";
import { PLATFORMS, type Platform } from "./platforms.ts";
import { argyleId, deriveRandom, type Random, type Seed } from "./random.ts";

export interface AccountSpec {
  /** How many gigs the account has. */
  gigs: number;
  /** Accounts given the same number share one user; by default each account has its own. */
  user?: number;
  /** The platform (employer) by name; by default the platforms take turns. */
  employer?: string;
  /** How many days back from `until` the gigs reach; by default about four gigs a day. */
  days?: number;
}

export interface DatasetOptions {
  seed?: Seed;
  accounts?: readonly AccountSpec[];
  /** The dataset's "now": every gig starts before it. Fixed by default so a seed means one dataset. */
  until?: string | number | Date;
}

export interface AccountData {
  account: Account;
  platform: Platform;
  /** Ascending by `start_datetime`, then `id`: Argyle's list order. */
  gigs: Gig[];
}

export interface Dataset {
  seed: Seed;
  untilMs: number;
  accounts: AccountData[];
}

export const DEFAULT_SEED = 20_230_308;
export const DEFAULT_UNTIL = "2026-11-01T00:00:00Z";
/** Three accounts: a small one, a medium one of the same user, and a large one. */
export const DEFAULT_ACCOUNTS: readonly AccountSpec[] = [{ gigs: 12 }, { gigs: 60, user: 0 }, { gigs: 450 }];

const DAY = 86_400_000;
const GIGS_PER_DAY = 4;
// A few gigs share a start time (payouts, stacked orders): clients must order ties by `id`.
const SHARED_START_RATE = 0.03;

/** Builds the dataset `options` describe. Same options, same dataset, byte for byte. */
export function buildDataset(options: DatasetOptions = {}): Dataset {
  const seed = options.seed ?? DEFAULT_SEED;
  const untilMs = toMs(options.until ?? DEFAULT_UNTIL);
  const specs = options.accounts ?? DEFAULT_ACCOUNTS;
  const taken = new Set<string>();
  const users = new Map<number, string>();
  const accounts = specs.map((spec, i) => {
    if (!Number.isInteger(spec.gigs) || spec.gigs < 0) throw new Error(`account ${i}: gigs must be a whole number`);
    const random = deriveRandom(seed, "account", i);
    const days = spec.days ?? Math.max(1, Math.ceil(spec.gigs / GIGS_PER_DAY));
    const firstMs = untilMs - days * DAY;
    const userKey = spec.user ?? i;
    let user = users.get(userKey);
    if (!user) {
      user = uniqueId(deriveRandom(seed, "user", userKey), firstMs - 30 * DAY, taken);
      users.set(userKey, user);
    }
    const platform = platformFor(spec, i);
    const account: Account = { id: uniqueId(random, firstMs - DAY, taken), user, employer: platform.employer };
    const gigRandom = deriveRandom(seed, "gigs", i);
    const starts = startTimes(gigRandom, spec.gigs, firstMs, untilMs);
    const gigs = starts.map((startMs) =>
      buildGig(gigRandom, {
        account,
        platform,
        startMs,
        nowMs: untilMs,
        newId: (ms) => uniqueId(gigRandom, ms, taken),
      }),
    );
    gigs.sort(compareGigs);
    return { account, platform, gigs };
  });
  return { seed, untilMs, accounts };
}

/** Chronological order: `start_datetime` ascending, then `id` (GigIndex lists newest first, as Argyle does). */
export function compareGigs(a: Gig, b: Gig): number {
  // Both are Argyle's fixed-width UTC form ("2023-03-08T08:08:57Z"), so text order is time order.
  if (a.start_datetime !== b.start_datetime) return a.start_datetime < b.start_datetime ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** An Argyle-shaped ID for `ms` not in `taken`, which it is then added to. */
export function uniqueId(random: Random, ms: number, taken: Set<string>): string {
  for (;;) {
    const id = argyleId(random, ms);
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

/** `count` ascending start times in [firstMs, untilMs), to the second, with occasional ties. */
function startTimes(random: Random, count: number, firstMs: number, untilMs: number): number[] {
  const span = untilMs - firstMs;
  const starts = Array.from({ length: count }, () => firstMs + Math.floor((random.next() * span) / 1000) * 1000);
  starts.sort((a, b) => a - b);
  for (let i = 1; i < starts.length; i++) {
    if (random.chance(SHARED_START_RATE)) starts[i] = starts[i - 1] as number;
  }
  return starts;
}

function platformFor(spec: AccountSpec, index: number): Platform {
  if (spec.employer === undefined) return PLATFORMS[index % PLATFORMS.length] as Platform;
  const platform = PLATFORMS.find((p) => p.employer === spec.employer);
  if (!platform) {
    throw new Error(`unknown employer ${spec.employer}; known: ${PLATFORMS.map((p) => p.employer).join(", ")}`);
  }
  return platform;
}

function toMs(value: string | number | Date): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`invalid dataset time: ${String(value)}`);
  return ms;
}
