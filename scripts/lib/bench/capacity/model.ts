/**
 * The capacity model: the measured D1 costs (measure.ts) combined with Cloudflare's published
 * limits into what one gig shard holds and sustains, how many shards a customer base needs, and
 * where the catalog's own ceilings are. Pure arithmetic, every input named.
 * @module
 */
import type { CapacityMeasurement, Work } from "./measure.ts";

/** Cloudflare's published figures the model rests on (shared/reference/cloudflare.md §7). */
export const CLOUDFLARE = {
  /** D1's size limit per database on Workers Paid; "cannot be further increased". Decimal GB, the smaller reading. */
  databaseBytes: 10e9,
  /** Per-queue throughput; over it, send() throws. */
  queueMessagesPerSecond: 5000,
};

export interface ModelSettings {
  /** Share of the 10 GB a shard is planned to fill: headroom for growth of existing accounts and tombstones. */
  fill: number;
  /** Milliseconds a write statement holds the database (Cloudflare: "several ms"). */
  writeMs: number;
  readMs: number;
  pageGigs: number;
  /** Account sizes to size shards for (gigs). */
  accountGigs: number[];
  /** Customer bases to size for (accounts). */
  accountCounts: number[];
  /** Days events and raw bodies are kept (EVENT_RETENTION_DAYS). */
  retentionDays: number;
}

export const MODEL_DEFAULTS: ModelSettings = {
  fill: 0.8,
  writeMs: 5,
  readMs: 0.5,
  pageGigs: 200,
  accountGigs: [5000, 50_000],
  accountCounts: [1000, 10_000, 100_000],
  retentionDays: 30,
};

export interface ShardSizing {
  gigs: number;
  accountsPerShard: number;
  /** Shards for each of `accountCounts`, every account this size. */
  shards: number[];
}

export interface CapacityModel {
  settings: ModelSettings;
  gigsPerShard: number;
  sizing: ShardSizing[];
  /** Backfill gigs per second one shard sustains: every statement a full write (the model's basis), or one write per round trip (lower bound on cost). */
  backfillGigsPerSecond: { perStatement: number; perCall: number };
  /** Hours one shard takes to be filled by backfills at the per-statement rate. */
  hoursToFillShard: number;
  catalog: {
    /** The catalog's D1 time per webhook, and the webhooks per second that saturates it. */
    msPerWebhook: number;
    webhooksPerSecond: number;
    /** Stored bytes per event: fixed part (summary row, indexes) and per body byte. */
    eventFixedBytes: number;
    bytesPerBodyByte: number;
    /** Share of a typical event's bytes that is its raw body. */
    typicalBodyShare: number;
    largeBodyShare: number;
    /** Typical webhooks per day the catalog holds at the retention, and per account at each customer base. */
    webhooksPerDay: number;
    perAccountPerDay: number[];
  };
  queue: {
    /** Queue messages per gig: backfill, fetch. */
    perBackfillGig: number;
    perFetchedGig: number;
    /** Gigs per second the jobs queue carries at 5,000 messages/s, by backfill and by per-ID fetch. */
    backfillGigsPerSecond: number;
    fetchedGigsPerSecond: number;
  };
}

export function d1Ms(w: Work, settings: Pick<ModelSettings, "writeMs" | "readMs">): number {
  return w.writeStatements * settings.writeMs + (w.statements - w.writeStatements) * settings.readMs;
}

export function buildModel(m: CapacityMeasurement, settings: ModelSettings = MODEL_DEFAULTS): CapacityModel {
  const usable = CLOUDFLARE.databaseBytes * settings.fill;
  const gigsPerShard = Math.floor(usable / m.bytesPerGig);
  const sizing = settings.accountGigs.map((gigs) => {
    const accountsPerShard = Math.floor(gigsPerShard / gigs);
    return {
      gigs,
      accountsPerShard,
      shards: settings.accountCounts.map((count) => Math.ceil(count / Math.max(1, accountsPerShard))),
    };
  });
  const pageMs = d1Ms(m.backfill.perPage, settings);
  const perStatement = (settings.pageGigs / pageMs) * 1000;
  const perCall = (settings.pageGigs / (Math.max(1, m.backfill.perPage.calls) * settings.writeMs)) * 1000;

  const { typical, large } = m.webhooks;
  const bytesPerBodyByte = (large.bytesPerEvent - typical.bytesPerEvent) / (large.bodyBytes - typical.bodyBytes);
  const eventFixedBytes = typical.bytesPerEvent - bytesPerBodyByte * typical.bodyBytes;
  const msPerWebhook = d1Ms(typical.perWebhook, settings);
  const webhooksPerDay = usable / typical.bytesPerEvent / settings.retentionDays;

  const perBackfillGig = m.backfill.perGig.queueMessages;
  const perFetchedGig = m.fetch.perGig.queueMessages;
  return {
    settings,
    gigsPerShard,
    sizing,
    backfillGigsPerSecond: { perStatement, perCall },
    hoursToFillShard: gigsPerShard / perStatement / 3600,
    catalog: {
      msPerWebhook,
      webhooksPerSecond: 1000 / msPerWebhook,
      eventFixedBytes,
      bytesPerBodyByte,
      typicalBodyShare: (bytesPerBodyByte * typical.bodyBytes) / typical.bytesPerEvent,
      largeBodyShare: (bytesPerBodyByte * large.bodyBytes) / large.bytesPerEvent,
      webhooksPerDay,
      perAccountPerDay: settings.accountCounts.map((count) => webhooksPerDay / count),
    },
    queue: {
      perBackfillGig,
      perFetchedGig,
      backfillGigsPerSecond: perBackfillGig > 0 ? CLOUDFLARE.queueMessagesPerSecond / perBackfillGig : Infinity,
      fetchedGigsPerSecond: perFetchedGig > 0 ? CLOUDFLARE.queueMessagesPerSecond / perFetchedGig : Infinity,
    },
  };
}
