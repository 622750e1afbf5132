/**
 * The test process's side of fault injection into the Workers' bindings (see fault-protocol.ts):
 * it answers the test builds of the Workers over their `FAULTS` service binding, decides from the
 * scenario's rule whether each D1 or Queue call fails, counts what it injected, and keeps a ledger
 * of the messages on each queue, per account, from the sends and the batch reports. The ledger is
 * how a test knows the queues are empty, instead of guessing with sleeps.
 * @module
 */
import { type Request as MfRequest, Response as MfResponse } from "miniflare";
import type {
  BatchSettings,
  BindingOp,
  FaultAction,
  HarnessEvent,
  MessageOutcome,
  ReceivedMessage,
} from "./fault-protocol.ts";

/** A scenario's fault plan: called for every D1 and Queue call the Workers make. */
export type FaultRule = (op: BindingOp) => FaultAction;

/** A queue as the platform runs it (from wrangler.consumer.toml plus test overrides). */
export interface QueueSettings {
  name: string;
  maxRetries: number;
  deadLetterQueue: string | null;
}

export interface BindingFaultsOptions {
  /** Producer binding name (JOBS, DEAD_LETTERS) → the queue it sends to. */
  producers: Record<string, string>;
  queues: QueueSettings[];
  /** Longest retry delay the queue really waits (time compression); null = as asked. */
  maxDelaySeconds: number | null;
}

export interface BindingFaultStats {
  /** `worker binding.method action` → count. */
  injected: Record<string, number>;
  /** Messages the queues redelivered (explicit retries and thrown batches). */
  messageRetries: number;
  /** Messages the queue moved to its dead-letter queue after its last retry. */
  deadLettered: number;
  /** The longest retry delay the consumer asked for. */
  longestRequestedDelaySeconds: number;
  /** Delays that were shortened by time compression. */
  compressedDelays: number;
  batches: number;
}

interface Batch {
  queue: string;
  messages: ReceivedMessage[];
  faulted: boolean;
}

export class BindingFaults {
  #rule: FaultRule = () => "pass";
  readonly #options: BindingFaultsOptions;
  /** `queue account` → messages on that queue (waiting, delayed or in a batch). */
  readonly #ledger = new Map<string, number>();
  /** account → messages of it inside a running batch. */
  readonly #inFlight = new Map<string, number>();
  readonly #batches = new Map<string, Batch>();
  /** Invocations in which a fault was injected. */
  readonly #faulted = new Set<string>();
  /** Gig ID → fetch_gigs jobs naming it, sent as new work (not continuations of earlier work). */
  readonly #rootFetches = new Map<string, number>();
  /** Gig ID → redeliveries of a fetch job naming it after a fault hit its invocation. */
  readonly #faultRedeliveries = new Map<string, number>();
  /** Gig ID → redeliveries of a fetch job naming it, whatever the cause. */
  readonly #redeliveries = new Map<string, number>();
  readonly #anomalies: string[] = [];
  #stats: BindingFaultStats = emptyStats();

  constructor(options: BindingFaultsOptions) {
    this.#options = options;
  }

  /** Replaces the fault plan; `null` injects nothing. */
  setRule(rule: FaultRule | null): void {
    this.#rule = rule ?? (() => "pass");
  }

  /** Time compression: the longest queue delay really waited, in seconds (null = as asked). */
  get maxDelay(): number | null {
    return this.#options.maxDelaySeconds;
  }

  /** The service-binding handler the Workers' `FAULTS` binding calls. */
  readonly handle = async (request: MfRequest): Promise<MfResponse> => {
    const path = new URL(request.url).pathname;
    const body = (await request.json()) as unknown;
    if (path === "/op") return json({ action: this.#decide(body as BindingOp) });
    if (path === "/event") return json(this.#event(body as HarnessEvent));
    return new MfResponse("unknown fault-service route", { status: 404 });
  };

  /** True once no message of `accounts` (all, if omitted) is on a queue or in a batch. */
  drained(accounts?: readonly string[]): boolean {
    return this.outstanding(accounts).length === 0;
  }

  /** What is still on the queues, as `queue account: n` lines (empty when drained). */
  outstanding(accounts?: readonly string[]): string[] {
    const wanted = accounts ? new Set(accounts) : null;
    const lines: string[] = [];
    for (const [key, n] of this.#ledger) {
      const [queue, account] = key.split(" ");
      if (n !== 0 && (!wanted || wanted.has(account ?? ""))) lines.push(`${queue} ${account}: ${n} message(s)`);
    }
    for (const [account, n] of this.#inFlight) {
      if (n !== 0 && (!wanted || wanted.has(account))) lines.push(`in a running batch, ${account}: ${n}`);
    }
    return lines;
  }

  /** fetch_gigs jobs naming `id` that were new work: each one is a cause to fetch the gig. */
  rootFetchJobs(id: string): number {
    return this.#rootFetches.get(id) ?? 0;
  }

  /** Redeliveries of jobs naming `id` whose invocation a fault hit: each may refetch it. */
  faultRedeliveries(id: string): number {
    return this.#faultRedeliveries.get(id) ?? 0;
  }

  /** Redeliveries of fetch jobs naming `id`, for any reason. */
  redeliveries(id: string): number {
    return this.#redeliveries.get(id) ?? 0;
  }

  /** Ledger inconsistencies (the model of the queue disagreed with what happened). */
  anomalies(): string[] {
    return [...this.#anomalies];
  }

  stats(): BindingFaultStats {
    return structuredClone(this.#stats);
  }

  injectedCount(): number {
    return Object.values(this.#stats.injected).reduce((a, b) => a + b, 0);
  }

  #decide(op: BindingOp): FaultAction {
    const action = this.#rule(op);
    if (action !== "pass") {
      const key = `${op.worker} ${op.binding}.${op.method} ${action}`;
      this.#stats.injected[key] = (this.#stats.injected[key] ?? 0) + 1;
      this.#faulted.add(op.invocation);
    }
    // The messages of a send that reaches the queue are on it, whatever the sender is told.
    if (op.messages.length > 0 && (action === "pass" || action === "fail-after")) {
      const queue = this.#queueOf(op.binding);
      for (const m of op.messages) {
        this.#add(queue, m.account, 1);
        if (m.kind === "fetch_gigs" && m.job_id !== null && !m.job_id.includes("~")) {
          for (const id of new Set(m.ids)) this.#rootFetches.set(id, (this.#rootFetches.get(id) ?? 0) + 1);
        }
      }
    }
    return action;
  }

  #event(event: HarnessEvent): BatchSettings | { ok: true } {
    switch (event.type) {
      case "batch-start": {
        this.#stats.batches++;
        this.#batches.set(event.invocation, { queue: event.queue, messages: event.messages, faulted: false });
        for (const m of event.messages) bump(this.#inFlight, accountKey(m.account), 1);
        return { maxDelaySeconds: this.#options.maxDelaySeconds };
      }
      case "batch-end": {
        const batch = this.#batches.get(event.invocation);
        this.#batches.delete(event.invocation);
        if (!batch) {
          this.#anomalies.push(`batch-end without batch-start (${event.invocation})`);
          return { ok: true };
        }
        const faulted = this.#faulted.delete(event.invocation);
        const outcomes = new Map(event.outcomes.map((o) => [o.id, o]));
        for (const m of batch.messages) this.#settle(batch.queue, m, outcomes.get(m.id), event.threw, faulted);
        return { ok: true };
      }
      case "send-failed": {
        const queue = this.#queueOf(event.queue);
        for (const m of event.messages) this.#add(queue, m.account, -1);
        return { ok: true };
      }
    }
  }

  #settle(queue: string, m: ReceivedMessage, outcome: MessageOutcome | undefined, threw: boolean, faulted: boolean) {
    bump(this.#inFlight, accountKey(m.account), -1);
    const delay = outcome?.requestedDelaySeconds;
    if (typeof delay === "number") {
      this.#stats.longestRequestedDelaySeconds = Math.max(this.#stats.longestRequestedDelaySeconds, delay);
      const cap = this.#options.maxDelaySeconds;
      if (cap !== null && delay > cap) this.#stats.compressedDelays++;
    }
    // The platform's rule (miniflare's broker and Cloudflare alike for thrown batches): a batch
    // whose handler threw is retried whole; otherwise only messages retried explicitly.
    const retried = threw || outcome?.outcome === "retry";
    if (!retried) {
      this.#add(queue, m.account, -1);
      return;
    }
    this.#stats.messageRetries++;
    if (m.kind === "fetch_gigs") {
      for (const id of new Set(m.ids)) {
        bump(this.#redeliveries, id, 1);
        if (faulted) bump(this.#faultRedeliveries, id, 1);
      }
    }
    const settings = this.#options.queues.find((q) => q.name === queue);
    if (!settings) {
      this.#anomalies.push(`batch from unknown queue ${queue}`);
      return;
    }
    if (m.attempts >= settings.maxRetries + 1) {
      this.#add(queue, m.account, -1);
      if (settings.deadLetterQueue) {
        this.#stats.deadLettered++;
        this.#add(settings.deadLetterQueue, m.account, 1);
      }
    }
  }

  #queueOf(binding: string): string {
    const queue = this.#options.producers[binding];
    if (!queue) throw new Error(`no queue is bound as ${binding}`);
    return queue;
  }

  #add(queue: string, account: string | null, n: number): void {
    const key = `${queue} ${accountKey(account)}`;
    const next = (this.#ledger.get(key) ?? 0) + n;
    if (next < 0) this.#anomalies.push(`${key}: more messages settled than were sent`);
    this.#ledger.set(key, next);
  }
}

function accountKey(account: string | null): string {
  return account ?? "(none)";
}

function bump(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function json(value: unknown): MfResponse {
  return new MfResponse(JSON.stringify(value), { headers: { "content-type": "application/json" } });
}

function emptyStats(): BindingFaultStats {
  return {
    injected: {},
    messageRetries: 0,
    deadLettered: 0,
    longestRequestedDelaySeconds: 0,
    compressedDelays: 0,
    batches: 0,
  };
}
