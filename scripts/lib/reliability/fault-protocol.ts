/**
 * What the fault-injecting Worker entries (worker/*) and the test process (binding-faults.ts) tell
 * each other over the `FAULTS` service binding. The Workers ask before every D1 and Queue call
 * whether it should fail, and report each queue batch they receive and how it was settled, so the
 * test process can inject faults from its own seeded plan and know exactly when the queues are
 * empty. Shared by both sides; no runtime code.
 * @module
 */

/** Where the fault service listens (any origin works: the binding never leaves the process). */
export const FAULTS_ORIGIN = "http://faults.test";

/** One call a Worker is about to make on one of its platform bindings. */
export interface BindingOp {
  worker: "receiver" | "consumer";
  /** `DB` (the catalog), a gig shard (`SHARD_1`, …), `JOBS` or `DEAD_LETTERS`. */
  binding: string;
  /** `batch`, `run`, `first`, `all`, `raw`, `send` or `sendBatch`. */
  method: string;
  /** The first statement's SQL, whitespace collapsed, cut to 100 characters; null for queues. */
  sql: string | null;
  /** What each statement does, as `verb-table` (`insert-events`, `delete-events`, `select`…); `send` for queues. */
  effects: string[];
  /** Statements in a D1 batch, or messages in a send. */
  size: number;
  /** One request or one queue batch: ops of one invocation share it. */
  invocation: string;
  /** 1 for the invocation's first binding call, then 2, 3, … */
  seq: number;
  /** For sends: each message's account and job, so the test can count what is on the queue. */
  messages: QueuedJob[];
}

/** What happens to the call. `fail`: it throws before reaching the binding (nothing happened).
 * `fail-after`: it reaches the binding, then throws as if the answer was lost (it did happen).
 * `crash`: it throws, and the whole invocation dies here: later calls fail, settlements are lost.
 * `overload` / `reset`: a D1 call throws before reaching the database, with D1's own text for an
 * overloaded database or a reset one (what production answers under load or a restart). */
export type FaultAction = "pass" | "fail" | "fail-after" | "crash" | "overload" | "reset";

/** D1's answers the `overload` and `reset` actions throw (reference/cloudflare.md §2.3). */
export const D1_OVERLOADED = "D1_ERROR: D1 DB is overloaded. Too many requests queued.";
export const D1_RESET = "D1_ERROR: Internal error in D1 DB storage caused object to be reset.";

export interface QueuedJob {
  account: string | null;
  kind: string | null;
  job_id: string | null;
  /** Gig IDs named by fetch_gigs / remove_gigs jobs. */
  ids: string[];
}

/** A message of a batch a consumer invocation received. */
export interface ReceivedMessage extends QueuedJob {
  id: string;
  attempts: number;
}

/** How the consumer settled a message. `none`: neither acked nor retried explicitly. */
export interface MessageOutcome {
  id: string;
  outcome: "ack" | "retry" | "none";
  /** The delay the consumer asked for, before the harness's time compression. */
  requestedDelaySeconds: number | null;
}

export type HarnessEvent =
  | { type: "batch-start"; queue: string; invocation: string; messages: ReceivedMessage[] }
  | {
      type: "batch-end";
      queue: string;
      invocation: string;
      outcomes: MessageOutcome[];
      /** The handler (or the simulated crash) threw: the queue retries the whole batch. */
      threw: boolean;
    }
  /** A send the service was told would pass failed for real: take its messages off the count. */
  | { type: "send-failed"; queue: string; messages: QueuedJob[] };

/** The answer to `batch-start`: settings for this batch. */
export interface BatchSettings {
  /** Longest retry delay the queue actually waits, in seconds (time compression); null = as asked. */
  maxDelaySeconds: number | null;
}

/**
 * Header on the test build's responses listing every binding call made before answering, in order,
 * as `binding.method:action:effects` (see `BindingOp.effects`, joined by `+`), e.g.
 * `DB.batch:pass:insert-event_bodies+insert-events,JOBS.sendBatch:fail:send,…`. A test can tell
 * from it an injected 503 from a real one, and whether the attempt left an event row behind.
 */
export const BINDING_CALLS_HEADER = "x-binding-calls";
