/**
 * How big the reliability scenarios run: `RELIABILITY_SCALE=full` (what `npm run reliability`
 * publishes) or `small` (the default: what `npm test` runs in CI, so the suites cannot rot).
 * Every size lives here, read from the environment in this one place.
 * @module
 */

export type Scale = "small" | "full";

export interface Sizes {
  /** Webhook deliveries per ingest-fault scenario. */
  ingestDeliveries: number;
  /** Gigs per account, and gig changes (webhooks) per consumer/Argyle fault scenario. */
  faultGigs: number;
  faultChanges: number;
  /** Random histories per property run, and the longest history. */
  historyRuns: number;
  historySteps: number;
  /** Requests per fuzz run. */
  fuzzRequests: number;
  /** Load: signed deliveries and how many are in flight at once. */
  loadDeliveries: number;
  loadConcurrency: number;
}

const SIZES: Record<Scale, Sizes> = {
  small: {
    ingestDeliveries: 40,
    faultGigs: 60,
    faultChanges: 30,
    historyRuns: 6,
    historySteps: 8,
    fuzzRequests: 400,
    loadDeliveries: 200,
    loadConcurrency: 20,
  },
  full: {
    ingestDeliveries: 500,
    faultGigs: 400,
    faultChanges: 250,
    historyRuns: 80,
    historySteps: 14,
    fuzzRequests: 5000,
    loadDeliveries: 1000,
    loadConcurrency: 50,
  },
};

/** The scale asked for by `RELIABILITY_SCALE` (default small). */
export function currentScale(env: Record<string, string | undefined> = process.env): Scale {
  const value = env.RELIABILITY_SCALE?.trim().toLowerCase() || "small";
  if (value !== "small" && value !== "full") {
    throw new Error(`RELIABILITY_SCALE must be "small" or "full", got "${env.RELIABILITY_SCALE}"`);
  }
  return value;
}

export function sizesFor(scale: Scale): Sizes {
  return SIZES[scale];
}
