/**
 * A whole pipeline for the consumer benchmarks: the local Argyle (with its latency knob) and
 * the real receiver and consumer Workers, each under the I/O meter, subscribed to each other as
 * in `npm run dev`. Queue settings are wrangler.consumer.toml's, except where a plan says.
 * @module
 */
import path from "node:path";
import { GIG_EVENT_NAMES } from "../../../src/domain/webhook-schema.ts";
import { basicAuthHeader } from "../../../src/local-argyle/app.ts";
import { bundleWorker } from "../common/bundle.ts";
import { type LocalArgyleServer, startLocalArgyle } from "../common/local-argyle-server.ts";
import { ROOT, type Stack, startStack } from "../common/stack.ts";
import { IO_PATH, type IoTotals } from "./io-totals.ts";
import { workerdServing } from "./proc.ts";

/** The consumer's limits: Workers Free as configured, or a Paid-plan configuration. */
export interface Plan {
  name: "free" | "paid";
  label: string;
  maxSubrequests: number;
  /** The jobs queue's max_batch_size; wrangler.consumer.toml's (1) when unset. */
  maxBatchSize?: number;
}

export const PLANS: readonly Plan[] = [
  { name: "free", label: "Free (MAX_SUBREQUESTS 50, max_batch_size 1)", maxSubrequests: 50 },
  {
    name: "paid",
    label: "Paid-like (MAX_SUBREQUESTS 1000, max_batch_size 20)",
    maxSubrequests: 1000,
    maxBatchSize: 20,
  },
];

const WEBHOOK_SECRET = "bench-webhook-secret";
const JOBS_QUEUE = "argyle-gig-jobs";
const FLOOR_PATH = "/__bench/argyle-floor";

export interface Pipeline {
  argyle: LocalArgyleServer;
  stack: Stack;
  /** The workerd process running both Workers, local D1 and the queues. */
  pid: number;
  /** The dataset's one account. */
  account: string;
  /** What each Worker has done through its bindings so far. */
  io: () => Promise<{ receiver: IoTotals; consumer: IoTotals }>;
  /** Gigs of the account stored in D1 (alive). */
  storedGigs: () => Promise<number>;
  /** Resolves when the consumer's job log lines report `gigs` stored in all, at that moment. */
  whenJobsStored: (gigs: number) => Promise<number>;
  /**
   * Seconds the same runtime takes to make the scenario's Argyle requests with nothing else
   * done: `fetch` gets each gig by ID over 6 connections, `backfill` walks the account's list.
   */
  floor: (scenario: "fetch" | "backfill") => Promise<number>;
  close: () => Promise<void>;
}

export async function startPipeline(options: { gigs: number; latencyMs: number; plan: Plan }): Promise<Pipeline> {
  const argyle = await startLocalArgyle({ seed: 1, accounts: [{ gigs: options.gigs }], faults: { latencyMs: 0 } });
  const floorScript = await bundleWorker(path.join(ROOT, "scripts/lib/bench/baselines/argyle-floor.ts"));
  // The consumer logs each job right after committing it: its `stored` counts, summed, say when
  // the last gig is in D1 without asking D1 (polling it would load the runtime being measured).
  let storedSoFar = 0;
  let waiter: { gigs: number; resolve: (at: number) => void } | null = null;
  const onJobLog = (message: string) => {
    if (!message.includes('"msg":"job"')) return;
    const at = performance.now();
    storedSoFar += (JSON.parse(message) as { stored?: number }).stored ?? 0;
    if (waiter && storedSoFar >= waiter.gigs) waiter.resolve(at);
  };
  let stack: Stack;
  try {
    stack = await startStack({
      entries: {
        receiver: path.join(ROOT, "scripts/lib/bench/instrument/receiver.ts"),
        consumer: path.join(ROOT, "scripts/lib/bench/instrument/consumer.ts"),
      },
      receiverVars: { ARGYLE_WEBHOOK_SECRET: WEBHOOK_SECRET },
      consumerVars: {
        ARGYLE_API_URL: argyle.url,
        ARGYLE_API_KEY_ID: argyle.credentials.keyId,
        ARGYLE_API_KEY_SECRET: argyle.credentials.keySecret,
        MAX_SUBREQUESTS: String(options.plan.maxSubrequests),
      },
      extraWorkers: [{ name: "argyle-floor", script: floorScript, routes: [`*${FLOOR_PATH}*`] }],
      queueOverrides: options.plan.maxBatchSize ? { [JOBS_QUEUE]: { maxBatchSize: options.plan.maxBatchSize } } : {},
      onLog: (_level, message) => onJobLog(message),
    });
  } catch (error) {
    await argyle.close();
    throw error;
  }
  const pid = workerdServing(stack.url);
  await subscribe(argyle, `${stack.url}/webhooks/argyle`);
  // Latency applies from here on: setting up is not part of any measurement.
  argyle.faults.update({ latencyMs: options.latencyMs });
  argyle.stats.reset();
  const account = argyle.store.accounts()[0]?.id;
  if (!account) throw new Error("the local Argyle has no account");
  const consumer = await stack.mf.getWorker("consumer");
  return {
    argyle,
    stack,
    pid,
    account,
    io: async () => ({
      receiver: (await (await fetch(`${stack.url}${IO_PATH}`)).json()) as IoTotals,
      // The consumer has no route: its meter is reached through miniflare.
      consumer: (await (await consumer.fetch(`http://consumer${IO_PATH}`)).json()) as IoTotals,
    }),
    storedGigs: async () => {
      // Answered from an index alone (the rows hold each gig's JSON, which need not be read), on
      // whichever database holds the account.
      return stack.gigCount("SELECT COUNT(*) AS n FROM gigs WHERE account = ?1 AND removed_at IS NULL", account);
    },
    whenJobsStored: (gigs) =>
      new Promise((resolve) => {
        if (storedSoFar >= gigs) resolve(performance.now());
        else waiter = { gigs, resolve };
      }),
    floor: async (scenario) => {
      const authorization = basicAuthHeader(argyle.credentials);
      const plan =
        scenario === "fetch"
          ? {
              authorization,
              concurrency: 6,
              urls: argyle.store.gigsOf(account).map((g) => `${argyle.url}/gigs/${g.id}`),
            }
          : { authorization, first: `${argyle.url}/gigs?account=${account}&limit=200` };
      const started = performance.now();
      const response = await fetch(`${stack.url}${FLOOR_PATH}`, { method: "POST", body: JSON.stringify(plan) });
      if (!response.ok) throw new Error(`the Argyle floor run failed: ${response.status} ${await response.text()}`);
      return (performance.now() - started) / 1000;
    },
    close: async () => {
      await Promise.allSettled([stack.dispose(), argyle.close()]);
    },
  };
}

/** Points the local Argyle's gig webhooks at the receiver, as Argyle's dashboard would. */
async function subscribe(argyle: LocalArgyleServer, url: string): Promise<void> {
  const response = await fetch(`${argyle.url}/webhooks`, {
    method: "POST",
    headers: {
      authorization: basicAuthHeader(argyle.credentials),
      "content-type": "application/json",
    },
    body: JSON.stringify({ name: "bench", url, secret: WEBHOOK_SECRET, events: GIG_EVENT_NAMES }),
  });
  if (!response.ok) throw new Error(`the local Argyle refused the subscription: ${response.status}`);
}

/** Polls `check` every `everyMs` until it is true; throws after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
  everyMs = 25,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
