/**
 * The whole pipeline on this machine, for the reliability scenarios: the local Argyle over real
 * HTTP behind the consumer's ARGYLE_API_URL, and the real receiver and consumer Workers in workerd
 * (scripts/lib/stack.ts) with real local D1, jobs queue and dead-letter queue. By default the
 * Workers are the test builds (worker/*) whose D1 and Queue bindings fail when a scenario's rule
 * says so; the Worker code itself is the code that ships. The pipeline plays Argyle's delivery
 * side: it signs webhooks, sends them, and redelivers on 503 as Argyle does.
 * @module
 */
import { createHmac } from "node:crypto";
import path from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { MIRRORED_EVENTS } from "../../../src/domain/lifecycle/plan.ts";
import type { AccountSpec } from "../../../src/local-argyle/dataset.ts";
import type { FaultInput } from "../../../src/local-argyle/faults.ts";
import type { GigEventPayload } from "../../../src/local-argyle/model.ts";
import { type LocalArgyleServer, startLocalArgyle } from "../common/local-argyle-server.ts";
import { ROOT, type Stack, type StackOptions, startStack } from "../common/stack.ts";
import { BindingFaults, type QueueSettings } from "./binding-faults.ts";
import { BINDING_CALLS_HEADER } from "./fault-protocol.ts";
import { LogSink } from "./log-sink.ts";

/** Secrets of every run: distinctive, so a leak into a log line cannot hide. */
export const SECRETS = {
  webhookSecret: "rel-webhook-secret-5c1e0a",
  apiToken: "rel-api-token-93b7d2",
  keyId: "rel-argyle-key-id-4f20",
  keySecret: "rel-argyle-key-secret-a81c",
} as const;

/** The subscription name the deliveries carry. */
export const SUBSCRIPTION = "reliability";

export const JOBS_QUEUE = "argyle-gig-jobs";
export const DEAD_LETTER_QUEUE = "argyle-gig-jobs-dlq";

type QueueOverride = NonNullable<StackOptions["queueOverrides"]>[string];

export interface PipelineOptions {
  seed: number;
  accounts: readonly AccountSpec[];
  /** Bundle the fault-injecting test builds of the Workers (default true). */
  faultInjection?: boolean;
  /** On top of the defaults below (fast retries, short Argyle timeout). */
  consumerVars?: Record<string, string>;
  receiverVars?: Record<string, string>;
  queueOverrides?: Record<string, QueueOverride>;
  /** The local Argyle's initial fault knobs. */
  argyleFaults?: FaultInput;
  /** Time compression: the longest queue delay really waited, in seconds (default 2). */
  maxDelaySeconds?: number | null;
  /** Gig shards the stack binds (SHARD_1..N); default: the stack's (GIG_SHARDS, else wrangler.toml's). */
  shards?: number;
}

/**
 * Consumer settings for runs that should take seconds, not hours. The Argyle timeout stays well
 * above a local answer's time even on a loaded CI machine: a fetch the consumer gave up on but the
 * local Argyle counted as served would look like a refetch without cause.
 */
export const FAST_CONSUMER_VARS = {
  RETRY_BASE_SECONDS: "0",
  RETRY_MAX_SECONDS: "1",
  ARGYLE_TIMEOUT_MS: "1500",
} as const;

/** Deliver queued messages within 50 ms, and retry without the configured wait. */
export const FAST_QUEUES: Record<string, QueueOverride> = {
  [JOBS_QUEUE]: { maxBatchTimeout: 0.05, retryDelay: 0 },
  [DEAD_LETTER_QUEUE]: { maxBatchTimeout: 0.05, retryDelay: 0 },
};

/** One delivery of a webhook body, as Argyle's sender saw it. */
export interface Delivery {
  body: string;
  /** Final status: 202, or the last status when it gave up (0 = not reachable). */
  status: number;
  /** HTTP attempts: 1 + redeliveries. */
  attempts: number;
  /** Each attempt's binding calls (`binding.method:action:effects`), from the test build's header. */
  calls: string[][];
  /** The event id of the 202, and what it was a duplicate of. */
  eventId: string | null;
  duplicateOf: string | null;
}

export class Pipeline {
  readonly argyle: LocalArgyleServer;
  readonly stack: Stack;
  /** Null when the pipeline runs the plain Workers (no fault injection). */
  readonly faults: BindingFaults | null;
  readonly logs: LogSink;
  /** Every delivery made, in order. */
  readonly deliveries: Delivery[] = [];

  private constructor(argyle: LocalArgyleServer, stack: Stack, faults: BindingFaults | null, logs: LogSink) {
    this.argyle = argyle;
    this.stack = stack;
    this.faults = faults;
    this.logs = logs;
  }

  static async start(options: PipelineOptions): Promise<Pipeline> {
    const logs = new LogSink();
    logs.secret(...Object.values(SECRETS), basicAuth(SECRETS.keyId, SECRETS.keySecret).slice("Basic ".length));
    const queueOverrides = { ...FAST_QUEUES, ...options.queueOverrides };
    const injection = options.faultInjection ?? true;
    const faults = injection
      ? new BindingFaults({ ...queueTopology(queueOverrides), maxDelaySeconds: options.maxDelaySeconds ?? 2 })
      : null;
    const argyle = await startLocalArgyle({
      port: 0,
      seed: options.seed,
      accounts: options.accounts,
      keyId: SECRETS.keyId,
      keySecret: SECRETS.keySecret,
      faults: { retryAfterSeconds: 0, hangMs: 30_000, ...options.argyleFaults },
    });
    let stack: Stack;
    try {
      // SHARD_1..N bound to both Workers.
      const stackOptions: StackOptions = {
        ...(options.shards === undefined ? {} : { shards: options.shards }),
        receiverVars: {
          ARGYLE_WEBHOOK_SECRET: SECRETS.webhookSecret,
          API_TOKEN: SECRETS.apiToken,
          ...options.receiverVars,
        },
        consumerVars: {
          ARGYLE_API_URL: argyle.url,
          ARGYLE_API_KEY_ID: SECRETS.keyId,
          ARGYLE_API_KEY_SECRET: SECRETS.keySecret,
          ...FAST_CONSUMER_VARS,
          ...options.consumerVars,
        },
        queueOverrides,
        onLog: logs.collect,
        ...(faults
          ? {
              entries: {
                receiver: path.join(ROOT, "scripts/lib/reliability/worker/receiver-entry.ts"),
                consumer: path.join(ROOT, "scripts/lib/reliability/worker/consumer-entry.ts"),
              },
              serviceBindings: { FAULTS: faults.handle },
            }
          : {}),
      };
      stack = await startStack(stackOptions);
    } catch (error) {
      await argyle.close();
      throw error;
    }
    return new Pipeline(argyle, stack, faults, logs);
  }

  /**
   * Subscribes the receiver to every gig event at the local Argyle (POST /v2/webhooks, with the
   * secret), so `argyle.mutate()` changes data and delivers the signed webhook itself, over HTTP.
   */
  async subscribe(): Promise<void> {
    const response = await fetch(`${this.argyle.url}/webhooks`, {
      method: "POST",
      headers: { authorization: basicAuth(SECRETS.keyId, SECRETS.keySecret), "content-type": "application/json" },
      body: JSON.stringify({
        name: SUBSCRIPTION,
        url: `${this.stack.url}/webhooks/argyle`,
        secret: SECRETS.webhookSecret,
        events: MIRRORED_EVENTS,
      }),
    });
    if (!response.ok) throw new Error(`the local Argyle refused the subscription: ${response.status}`);
  }

  /** The body Argyle would send for `payload`, to our subscription. */
  bodyOf(payload: GigEventPayload): string {
    return JSON.stringify({ event: payload.event, name: SUBSCRIPTION, data: payload.data });
  }

  /**
   * Delivers `payload` (or a body) signed, redelivering on 503 or a dropped connection up to
   * `maxAttempts` times, as Argyle retries failed deliveries.
   */
  async deliver(payload: GigEventPayload | string, maxAttempts = 50): Promise<Delivery> {
    const body = typeof payload === "string" ? payload : this.bodyOf(payload);
    const signature = sign(SECRETS.webhookSecret, body);
    this.logs.body(body);
    this.logs.secret(signature);
    const delivery: Delivery = { body, status: 0, attempts: 0, calls: [], eventId: null, duplicateOf: null };
    this.deliveries.push(delivery);
    while (delivery.attempts < maxAttempts) {
      delivery.attempts++;
      let response: Response;
      try {
        response = await fetch(`${this.stack.url}/webhooks/argyle`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-argyle-signature": signature },
          body,
        });
      } catch {
        delivery.status = 0;
        delivery.calls.push([]);
        continue;
      }
      const text = await response.text();
      delivery.status = response.status;
      delivery.calls.push(response.headers.get(BINDING_CALLS_HEADER)?.split(",").filter(Boolean) ?? []);
      if (response.status === 202) {
        const answer = JSON.parse(text) as { id: string; duplicate_of?: string };
        delivery.eventId = answer.id;
        delivery.duplicateOf = answer.duplicate_of ?? null;
        return delivery;
      }
      if (response.status !== 503) return delivery;
    }
    return delivery;
  }

  /** GET on the read API with the token. */
  async api<T>(pathAndQuery: string): Promise<T> {
    const response = await fetch(new URL(pathAndQuery, this.stack.url), {
      headers: { authorization: `Bearer ${SECRETS.apiToken}` },
    });
    if (!response.ok) throw new Error(`GET ${pathAndQuery} → ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  /**
   * Waits until no message of `accounts` is on a queue or in a batch (the fault ledger says so),
   * or `timeoutMs` passes. Returns what is still outstanding (empty = drained).
   */
  async waitForDrain(accounts: readonly string[] | undefined, timeoutMs: number): Promise<string[]> {
    const faults = this.faults;
    if (!faults) throw new Error("waitForDrain needs fault injection (its ledger); poll the mirror instead");
    const deadline = Date.now() + timeoutMs;
    // Twice in a row, 50 ms apart: a batch may be about to start for a message just sent.
    let quiet = 0;
    while (Date.now() < deadline) {
      quiet = faults.drained(accounts) ? quiet + 1 : 0;
      if (quiet >= 2) return [];
      await sleep(50);
    }
    return faults.outstanding(accounts);
  }

  /** Polls `check` until it returns no problems or `timeoutMs` passes; returns the last problems. */
  async waitUntil(check: () => Promise<string[]>, timeoutMs: number, intervalMs = 100): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const problems = await check();
      if (problems.length === 0 || Date.now() >= deadline) return problems;
      await sleep(intervalMs);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.stack.dispose(), this.argyle.close()]);
  }
}

/** Queue names behind the consumer's producer bindings, and each queue's retry settings. */
function queueTopology(overrides: Record<string, QueueOverride>): {
  producers: Record<string, string>;
  queues: QueueSettings[];
} {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(ROOT, "wrangler.consumer.toml"));
  const producers: Record<string, string> = {};
  for (const [binding, producer] of Object.entries(
    (workerOptions.queueProducers ?? {}) as Record<string, { queueName: string }>,
  )) {
    producers[binding] = producer.queueName;
  }
  const consumers = (workerOptions.queueConsumers ?? {}) as Record<
    string,
    { maxRetries?: number; deadLetterQueue?: string }
  >;
  const queues = Object.entries(consumers).map(([name, settings]) => ({
    name,
    maxRetries: overrides[name]?.maxRetries ?? settings.maxRetries ?? 3,
    deadLetterQueue: settings.deadLetterQueue ?? null,
  }));
  return { producers, queues };
}

/** Argyle's signature, computed with Node's crypto (not the code under test). */
export function sign(secret: string, body: string | Uint8Array): string {
  return createHmac("sha512", secret).update(body).digest("hex");
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
