/**
 * The capacity model's measured inputs, from the real Workers on a local D1 (no guesses):
 * - bytes per stored gig: a real backfill of N realistic gigs (the local Argyle's factory, every
 *   documented field) through the consumer and src/domain/storage/gigs.ts, then the database's
 *   page_count × page_size as D1 reports it; the slope over several N is the cost of one more gig,
 *   indexes and B-tree slack included;
 * - D1 statements (and how many write) and rows written per gig, for a backfill, a per-ID
 *   fetch and a removal, from the I/O meter wrapped round the real consumer;
 * - per webhook on the catalog: statements and rows the receiver writes, and bytes per stored
 *   event (summary row, raw body, indexes), for a typical small body and a large one.
 * @module
 */
import path from "node:path";
import type { MutateResult } from "../../../../src/local-argyle/mutate.ts";
import { type GigDatabases, gigDatabases } from "../../common/all-shards.ts";
import type { LocalD1 } from "../../common/migrations.ts";
import { ROOT, startStack } from "../../common/stack.ts";
import { PAGE_SIZE } from "../consumer-scenarios.ts";
import type { IoTotals } from "../io-totals.ts";
import { type Pipeline, PLANS, startPipeline, waitUntil } from "../pipeline.ts";
import { gigsUpdatedBodies } from "../webhook-bodies.ts";

export interface CapacitySettings {
  /** Account sizes (gigs) backfilled, one fresh database each: the slope gives bytes per gig. */
  sizes: number[];
  /** Gigs updated, then removed, after each backfill (per-ID fetch and removal costs). */
  changeGigs: number;
  /** Webhooks stored on a catalog-only receiver, at two counts for the slope. */
  webhooks: [number, number];
  /** Gig IDs in the typical webhook, and in the large one. */
  webhookIds: { typical: number; large: number };
}

export const CAPACITY_FULL: CapacitySettings = {
  sizes: [1000, 2000, 4000, 8000],
  changeGigs: 400,
  webhooks: [200, 600],
  webhookIds: { typical: 5, large: 1000 },
};

export const CAPACITY_TINY: CapacitySettings = {
  sizes: [200, 600],
  changeGigs: 42,
  webhooks: [20, 60],
  webhookIds: { typical: 5, large: 200 },
};

/** D1 work per unit (per gig, or per webhook): what the simulation and the model consume. */
export interface Work {
  /** Round trips to D1 (a batch is one). */
  calls: number;
  statements: number;
  writeStatements: number;
  rowsWritten: number;
  rowsRead: number;
  /** Queue messages sent (jobs, continuations). */
  queueMessages: number;
}

export interface SizePoint {
  gigs: number;
  /** Database bytes after the backfill (D1's page_count × page_size), less the empty schema's. */
  bytes: number;
}

export interface WebhookKind {
  ids: number;
  /** Bytes of one body. */
  bodyBytes: number;
  /** Stored bytes per event (slope between the two counts). */
  bytesPerEvent: number;
  /** Receiver's D1 work per webhook. */
  perWebhook: Work;
}

export interface CapacityMeasurement {
  settings: CapacitySettings;
  points: SizePoint[];
  /** Least-squares slope of `points`: bytes one more stored gig costs. */
  bytesPerGig: number;
  /** Mean bytes of a stored gig's JSON (`data`), for scale. */
  gigJsonBytes: number;
  /** Backfill pages (Argyle list pages of 200) in the largest size, and work per page and per gig. */
  backfill: { pages: number; perPage: Work; perGig: Work };
  fetch: { perGig: Work };
  removal: { perGig: Work };
  webhooks: { typical: WebhookKind; large: WebhookKind };
}

export async function measureCapacity(
  settings: CapacitySettings,
  progress: (line: string) => void,
): Promise<CapacityMeasurement> {
  const points: SizePoint[] = [];
  let largest: Omit<CapacityMeasurement, "settings" | "points" | "bytesPerGig" | "webhooks"> | null = null;
  for (const gigs of settings.sizes) {
    const run = await measureAccount(gigs, settings.changeGigs);
    points.push({ gigs, bytes: run.bytes });
    progress(
      `capacity: ${gigs} gigs stored in ${kib(run.bytes)} KiB (${(run.bytes / gigs).toFixed(0)} B/gig), backfill ${run.backfill.perPage.statements.toFixed(1)} statements/page`,
    );
    largest = run;
  }
  if (!largest) throw new Error("capacity: no sizes to measure");
  const typical = await measureWebhooks(settings.webhooks, settings.webhookIds.typical);
  const large = await measureWebhooks(settings.webhooks, settings.webhookIds.large);
  progress(
    `capacity: ${typical.bytesPerEvent.toFixed(0)} B per typical event (${typical.bodyBytes} B body), ${large.bytesPerEvent.toFixed(0)} B per large one (${large.bodyBytes} B body)`,
  );
  return {
    settings,
    points,
    bytesPerGig: slope(points.map((p) => [p.gigs, p.bytes])),
    gigJsonBytes: largest.gigJsonBytes,
    backfill: largest.backfill,
    fetch: largest.fetch,
    removal: largest.removal,
    webhooks: { typical, large },
  };
}

/** One account of `gigs`: backfill it, update `change` of its gigs, then remove `change`. */
async function measureAccount(gigs: number, change: number) {
  // Free-plan limits, as wrangler.consumer.toml deploys; Argyle answers at once (timing is not measured here).
  const pipeline = await startPipeline({ gigs, latencyMs: 0, plan: PLANS[0] as (typeof PLANS)[number] });
  try {
    const empty = await allDatabasesBytes(pipeline.stack);
    const before = await pipeline.io();
    const stored = pipeline.whenJobsStored(gigs);
    expectDelivered(await pipeline.argyle.mutate({ action: "fully_synced", account: pipeline.account }));
    await stored;
    await settle(pipeline, gigs);
    const afterBackfill = await pipeline.io();
    const size = await allDatabasesBytes(pipeline.stack);
    const pages = Math.ceil(gigs / PAGE_SIZE);
    const backfillWork = phase(before, afterBackfill);

    const fetched = pipeline.whenJobsStored(gigs + change);
    expectDelivered(await pipeline.argyle.mutate({ action: "update", account: pipeline.account, count: change }));
    await fetched;
    await settle(pipeline, gigs);
    const afterFetch = await pipeline.io();

    expectDelivered(await pipeline.argyle.mutate({ action: "remove", account: pipeline.account, count: change }));
    await settle(pipeline, gigs - change);
    const afterRemoval = await pipeline.io();

    // Averaged over every database holding gigs (the account's home shard, or the catalog's legacy table).
    const sums = await pipeline.stack.gigRows<{ bytes: number | null; n: number }>(
      "SELECT SUM(LENGTH(CAST(data AS BLOB))) AS bytes, COUNT(*) AS n FROM gigs WHERE data IS NOT NULL",
    );
    const jsonRows = sums.reduce((sum, r) => sum + r.n, 0);
    const json = { n: jsonRows === 0 ? 0 : sums.reduce((sum, r) => sum + (r.bytes ?? 0), 0) / jsonRows };
    return {
      bytes: size - empty,
      gigJsonBytes: json?.n ?? 0,
      backfill: { pages, perPage: scale(backfillWork, 1 / pages), perGig: scale(backfillWork, 1 / gigs) },
      fetch: { perGig: scale(phase(afterBackfill, afterFetch), 1 / change) },
      removal: { perGig: scale(phase(afterFetch, afterRemoval), 1 / change) },
    };
  } finally {
    await pipeline.close();
  }
}

/** `count` distinct signed `gigs.updated` webhooks of `ids` IDs into a receiver with no consumer: the catalog alone. */
async function measureWebhooks(counts: [number, number], ids: number): Promise<WebhookKind> {
  const secret = "capacity-webhook-secret";
  const stack = await startStack({
    consumer: false,
    entries: { receiver: path.join(ROOT, "scripts/lib/bench/instrument/receiver.ts") },
    receiverVars: { ARGYLE_WEBHOOK_SECRET: secret },
    // One log line per webhook is the receiver's business, not the report's.
    onLog: () => {},
  });
  try {
    const bodies = gigsUpdatedBodies(ids, secret);
    const io = async () => (await (await fetch(`${stack.url}/__bench/io`)).json()) as IoTotals;
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const { body, headers } = bodies.next();
        const response = await fetch(`${stack.url}/webhooks/argyle`, {
          method: "POST",
          body: new Uint8Array(body),
          headers,
        });
        await response.arrayBuffer();
        if (response.status !== 202) throw new Error(`capacity: the receiver answered ${response.status}`);
      }
      // Bookkeeping after the 202 runs in waitUntil: let it finish before counting.
      await waitUntil(async () => (await io()).active === 0, "the receiver to go idle", 10_000);
    };
    const [first, second] = counts;
    await send(first);
    const atFirst = await databaseBytes(stack.db);
    const ioFirst = await io();
    await send(second - first);
    const atSecond = await databaseBytes(stack.db);
    const ioSecond = await io();
    return {
      ids,
      bodyBytes: bodies.bytes,
      bytesPerEvent: (atSecond - atFirst) / (second - first),
      perWebhook: scale(work(ioFirst, ioSecond), 1 / (second - first)),
    };
  } finally {
    await stack.dispose();
  }
}

function expectDelivered(result: MutateResult): void {
  if (result.deliveries.length !== 1 || result.deliveries.some((d) => d.status !== 202)) {
    throw new Error(`capacity: the receiver refused the webhook: ${JSON.stringify(result.deliveries)}`);
  }
}

/** Waits until the account has `alive` live gigs and both Workers are idle (acks and logs done). */
async function settle(pipeline: Pipeline, alive: number): Promise<void> {
  await waitUntil(async () => (await pipeline.storedGigs()) === alive, `${alive} live gigs`, 120_000, 100);
  await waitUntil(
    async () => {
      const io = await pipeline.io();
      return io.consumer.active === 0 && io.receiver.active === 0;
    },
    "the Workers to go idle",
    10_000,
  );
}

/** The catalog's and every shard's sizes summed: gigs land on a shard, their events on the catalog. */
async function allDatabasesBytes(stack: GigDatabases): Promise<number> {
  const sizes = await Promise.all(gigDatabases(stack).map(databaseBytes));
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * The database's size as D1 itself reports it with every result (`meta.size_after`: its page
 * count × page size, what the 10 GB limit applies to). D1 refuses `PRAGMA page_count` to Workers
 * and to miniflare alike (SQLITE_AUTH), so this is the same figure through the door D1 leaves open.
 */
export async function databaseBytes(db: LocalD1): Promise<number> {
  const { meta } = await db.prepare("SELECT 1").run();
  const size = (meta as { size_after?: unknown }).size_after;
  if (typeof size !== "number" || !(size > 0)) throw new Error("capacity: D1 reported no size_after");
  return size;
}

type Io = { receiver: IoTotals; consumer: IoTotals };

/**
 * The consumer's D1 work between two readings, with every queue message of the phase: the
 * receiver sends a job's first message (one per 42 IDs for a fetch), the consumer its continuations.
 */
function phase(from: Io, to: Io): Work {
  return {
    ...work(from.consumer, to.consumer),
    queueMessages:
      to.consumer.queueMessages - from.consumer.queueMessages + to.receiver.queueMessages - from.receiver.queueMessages,
  };
}

function work(from: IoTotals, to: IoTotals): Work {
  return {
    calls: to.d1Calls - from.d1Calls,
    statements: to.d1Statements - from.d1Statements,
    writeStatements: to.d1WriteStatements - from.d1WriteStatements,
    rowsWritten: to.rowsWritten - from.rowsWritten,
    rowsRead: to.rowsRead - from.rowsRead,
    queueMessages: to.queueMessages - from.queueMessages,
  };
}

function scale(w: Work, by: number): Work {
  return {
    calls: w.calls * by,
    statements: w.statements * by,
    writeStatements: w.writeStatements * by,
    rowsWritten: w.rowsWritten * by,
    rowsRead: w.rowsRead * by,
    queueMessages: w.queueMessages * by,
  };
}

/** Least-squares slope of y over x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) throw new Error("a slope needs two points");
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(0);
}
