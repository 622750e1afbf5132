/**
 * A discrete-event simulation of N concurrent backfills against K single-threaded databases,
 * with webhooks arriving meanwhile: the D1 behaviour that decides whether sharding pays, which
 * a local run cannot show (local D1 is one SQLite file in one process, not Cloudflare's queue of
 * persisted writes). Plain TypeScript, no D1: each database serves one call at a time, first
 * come first served, and a call holds it for its statements' latencies (Cloudflare: a database
 * "processes queries one at a time"; writes take several ms). The D1 work per page, per fetched
 * gig and per webhook is what measure.ts measured on the real Workers.
 *
 * Layouts: `single` is today, everything in one database; `sharded` is the issue's design, a
 * catalog database that ingests webhooks and K gig shards, each account's backfill and fetches
 * on its own shard (accounts spread evenly, as "most headroom" placement does).
 * @module
 */
import type { Work } from "./measure.ts";

export interface SimSettings {
  /** Backfills started at time 0, all at once. */
  backfills: number;
  gigsPerBackfill: number;
  /** Gigs per Argyle list page (the consumer's ARGYLE_PAGE_SIZE). */
  pageGigs: number;
  /** Milliseconds a write statement holds its database. */
  writeMs: number;
  /** Milliseconds a read statement holds its database (indexed point reads: under 1 ms). */
  readMs: number;
  /** Argyle's answer time per list page, and per gig fetched by ID. */
  argyleMs: number;
  /** Webhooks arriving per second on average (Poisson), for as long as any backfill runs. */
  webhooksPerSecond: number;
  /** Gig IDs each webhook names (each is then fetched and stored on its account's shard). */
  webhookIds: number;
  /** Shard counts to simulate for the sharded layout. */
  shards: number[];
  /** Seed of the webhook arrival times: the same seed, the same run. */
  seed: number;
}

export interface SimInputs {
  /** D1 work per backfill page. */
  page: Work;
  /** D1 work per gig fetched by ID. */
  fetchGig: Work;
  /** The receiver's D1 work per webhook (the catalog's, in the sharded design). */
  webhook: Work;
}

export interface SimRow {
  layout: "single" | "sharded";
  /** Gig shards (the single layout: 1, the one database). */
  shards: number;
  /** Time until the last backfill's last page is stored. */
  makespanS: number;
  /** The same backfills with D1 answering instantly: pages × Argyle's latency. */
  boundS: number;
  /** Webhooks ingested during the run. */
  webhooks: number;
  /** Longest and 99th-percentile wait of a webhook's D1 work behind other work (its own service time excluded). */
  worstIngestDelayMs: number;
  p99IngestDelayMs: number;
  /** Most calls waiting at once at any database (D1 answers "overloaded" when its queue is full). */
  maxQueue: number;
  /** Busy share of the busiest gig database over the run. */
  busiestShardUtilisation: number;
}

/** Service time of one call carrying `statements` of `w` spread over its calls. */
function callMs(w: Work, settings: SimSettings): { calls: number; ms: number } {
  const calls = Math.max(1, Math.round(w.calls));
  const reads = Math.max(0, w.statements - w.writeStatements);
  const ms = (w.writeStatements * settings.writeMs + reads * settings.readMs) / calls;
  return { calls, ms };
}

class Database {
  freeAt = 0;
  busyMs = 0;
  waiting = 0;
  maxQueue = 0;

  /** Queues a call arriving `now` for `ms`; returns when it completes. FIFO because arrivals are processed in time order. */
  serve(now: number, ms: number, events: EventQueue): number {
    const start = Math.max(now, this.freeAt);
    this.freeAt = start + ms;
    this.busyMs += ms;
    this.waiting++;
    this.maxQueue = Math.max(this.maxQueue, this.waiting);
    events.push(this.freeAt, () => {
      this.waiting--;
    });
    return this.freeAt;
  }
}

/** A binary min-heap of timed actions; ties run in insertion order, so runs are deterministic. */
class EventQueue {
  private heap: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;

  push(at: number, run: () => void): void {
    const heap = this.heap;
    heap.push({ at, seq: this.seq++, run });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Runs actions in time order until none is left; returns the last action's time. */
  drain(): number {
    let now = 0;
    while (this.heap.length > 0) {
      const top = this.heap[0] as { at: number; run: () => void };
      const last = this.heap.pop() as (typeof this.heap)[number];
      if (this.heap.length > 0) {
        this.heap[0] = last;
        this.sink(0);
      }
      now = top.at;
      top.run();
    }
    return now;
  }

  private sink(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a] as { at: number; seq: number };
    const y = this.heap[b] as { at: number; seq: number };
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const tmp = this.heap[a] as (typeof this.heap)[number];
    this.heap[a] = this.heap[b] as (typeof this.heap)[number];
    this.heap[b] = tmp;
  }
}

/** Runs `calls` calls of `ms` one after another on `db` from `now`, then `done(at)`. */
function chain(db: Database, now: number, calls: number, ms: number, events: EventQueue, done: (at: number) => void) {
  const completes = db.serve(now, ms, events);
  events.push(completes, () => {
    if (calls > 1) chain(db, completes, calls - 1, ms, events, done);
    else done(completes);
  });
}

export function simulate(
  layout: "single" | "sharded",
  shards: number,
  settings: SimSettings,
  inputs: SimInputs,
): SimRow {
  const events = new EventQueue();
  const gigDbs = Array.from({ length: layout === "single" ? 1 : shards }, () => new Database());
  const catalog = layout === "single" ? (gigDbs[0] as Database) : new Database();
  const pages = Math.ceil(settings.gigsPerBackfill / settings.pageGigs);
  const page = callMs(inputs.page, settings);
  const webhook = callMs(inputs.webhook, settings);
  const fetchWork = {
    calls: inputs.fetchGig.calls * settings.webhookIds,
    statements: inputs.fetchGig.statements * settings.webhookIds,
    writeStatements: inputs.fetchGig.writeStatements * settings.webhookIds,
    rowsWritten: 0,
    rowsRead: 0,
    queueMessages: 0,
  };
  const fetch = callMs(fetchWork, settings);

  let running = settings.backfills;
  let makespan = 0;
  for (let b = 0; b < settings.backfills; b++) {
    const db = gigDbs[b % gigDbs.length] as Database;
    // Each page: Argyle answers, then the page's D1 calls; the next page is asked for after the commit.
    const nextPage = (now: number, left: number) => {
      events.push(now + settings.argyleMs, () => {
        chain(db, now + settings.argyleMs, page.calls, page.ms, events, (at) => {
          if (left > 1) nextPage(at, left - 1);
          else {
            running--;
            makespan = Math.max(makespan, at);
          }
        });
      });
    };
    nextPage(0, pages);
  }

  const delays: number[] = [];
  // Real deliveries bunch up: evenly spaced arrivals would hide the queueing a burst meets.
  const random = mulberry32(settings.seed);
  const gap = () => (-Math.log(1 - random()) * 1000) / settings.webhooksPerSecond;
  const ownMs = webhook.calls * webhook.ms;
  let n = 0;
  const arrive = (at: number) => {
    // Webhooks keep arriving as long as any backfill runs: the delay they see is the point.
    if (running === 0) return;
    const shard = gigDbs[n++ % gigDbs.length] as Database;
    chain(catalog, at, webhook.calls, webhook.ms, events, (done) => {
      delays.push(done - at - ownMs);
      // Its fetch job reaches the consumer, asks Argyle, and stores on the account's shard.
      events.push(done + settings.argyleMs, () =>
        chain(shard, done + settings.argyleMs, fetch.calls, fetch.ms, events, () => {}),
      );
    });
    const next = at + gap();
    events.push(next, () => arrive(next));
  };
  if (settings.webhooksPerSecond > 0) events.push(0, () => arrive(0));
  events.drain();

  delays.sort((a, b) => a - b);
  const dbs = layout === "single" ? gigDbs : [...gigDbs, catalog];
  return {
    layout,
    shards: gigDbs.length,
    makespanS: makespan / 1000,
    boundS: (pages * settings.argyleMs) / 1000,
    webhooks: delays.length,
    worstIngestDelayMs: delays.at(-1) ?? 0,
    p99IngestDelayMs: delays[Math.min(delays.length - 1, Math.floor(delays.length * 0.99))] ?? 0,
    maxQueue: Math.max(...dbs.map((db) => db.maxQueue)),
    busiestShardUtilisation: makespan > 0 ? Math.min(1, Math.max(...gigDbs.map((db) => db.busyMs)) / makespan) : 0,
  };
}

/** A small seeded PRNG in [0, 1) (mulberry32): reproducible runs without a dependency. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Today's one database, then the sharded design at every shard count. */
export function simulateAll(settings: SimSettings, inputs: SimInputs): SimRow[] {
  return [
    simulate("single", 1, settings, inputs),
    ...settings.shards.map((k) => simulate("sharded", k, settings, inputs)),
  ];
}
