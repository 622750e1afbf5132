/**
 * Building blocks for fault plans (`BindingFaults.setRule`): seeded random failures of chosen
 * calls, and crashes of consumer invocations part-way through.
 * @module
 */
import type { Random } from "../../../src/local-argyle/random.ts";
import type { FaultRule } from "./binding-faults.ts";
import type { BindingOp, FaultAction } from "./fault-protocol.ts";

export interface RandomFailure {
  /** Which calls it may hit. */
  match: (op: BindingOp) => boolean;
  /** Share of matching calls that fail. */
  rate: number;
  /** Share of those failures whose call took effect before the error (the answer was lost). */
  afterShare?: number;
}

/** Fails matching calls at random: the first failure that matches decides. */
export function randomFailures(random: Random, ...failures: RandomFailure[]): FaultRule {
  return (op) => {
    for (const f of failures) {
      if (!f.match(op)) continue;
      if (random.chance(f.rate)) return random.chance(f.afterShare ?? 0) ? "fail-after" : "fail";
    }
    return "pass";
  };
}

/**
 * Crashes a share of the consumer's queue invocations at a random one of their first `withinCalls`
 * binding calls. An invocation with fewer calls survives.
 */
export function crashes(random: Random, rate: number, withinCalls: number): FaultRule {
  const crashAt = new Map<string, number | null>();
  return (op) => {
    if (op.worker !== "consumer") return "pass";
    let at = crashAt.get(op.invocation);
    if (at === undefined) {
      at = random.chance(rate) ? random.int(1, withinCalls) : null;
      crashAt.set(op.invocation, at);
    }
    return at === op.seq ? "crash" : "pass";
  };
}

/** The first rule that does not pass decides. */
export function combine(...rules: FaultRule[]): FaultRule {
  return (op) => {
    for (const rule of rules) {
      const action: FaultAction = rule(op);
      if (action !== "pass") return action;
    }
    return "pass";
  };
}

export const isReceiverD1 = (op: BindingOp): boolean => op.worker === "receiver" && op.binding === "DB";
export const isReceiverQueue = (op: BindingOp): boolean => op.worker === "receiver" && op.binding === "JOBS";
export const isConsumerD1Batch = (op: BindingOp): boolean =>
  op.worker === "consumer" && op.binding === "DB" && op.method === "batch";
export const isConsumerD1Read = (op: BindingOp): boolean =>
  op.worker === "consumer" && op.binding === "DB" && op.method !== "batch";
export const isConsumerQueue = (op: BindingOp): boolean => op.worker === "consumer" && op.binding !== "DB";

/** A D1 call on `database`: "DB" (the catalog) or a gig shard's binding (SHARD_1, …). */
export const isD1Of =
  (database: string) =>
  (op: BindingOp): boolean =>
    op.binding === database && op.method !== "send" && op.method !== "sendBatch";

/**
 * Answers a share of matching calls with D1's own overloaded (or, for `resetShare` of them, reset)
 * error while `active()` holds: what a busy or restarting database answers in production.
 */
export function d1Overload(
  random: Random,
  match: (op: BindingOp) => boolean,
  rate: number,
  options: { resetShare?: number; active?: () => boolean } = {},
): FaultRule {
  return (op) => {
    if (!match(op) || !(options.active?.() ?? true) || !random.chance(rate)) return "pass";
    return random.chance(options.resetShare ?? 0) ? "reset" : "overload";
  };
}
