/**
 * Random histories for the property test: changes at Argyle (gigs updated, removed, added, synced)
 * whose webhooks are delivered late, twice, out of order or in bursts, under a mix of faults.
 * A history is plain JSON (positions instead of IDs), so a shrunk counterexample can be saved and
 * replayed against fresh accounts of the same shape.
 * @module
 */
import fc from "fast-check";
import type { FaultInput } from "../../../src/local-argyle/faults.ts";

export type ChangeSpec =
  /** Gigs by position among the account's live gigs (modulo their number). */
  | { op: "update"; account: number; gigs: number[] }
  | { op: "remove"; account: number; gigs: number[] }
  | { op: "add"; account: number; count: number }
  | { op: "sync"; account: number; full: boolean };

export interface Step {
  change: ChangeSpec;
  /** One entry per copy delivered: how many steps later it arrives (0 = now). None = never. */
  copies: number[];
  /** Wait for the queues to drain after this step's deliveries. */
  settle: boolean;
}

export type ArgylePreset = "none" | "5xx" | "429" | "timeouts" | "malformed" | "401-window" | "all";

export interface FaultMix {
  argyle: ArgylePreset;
  /** Share of the receiver's D1 and Queue calls that fail. */
  ingest: number;
  /** Share of the consumer's D1 batches that fail. */
  consumer: number;
  /** Share of consumer invocations that die part-way. */
  crash: number;
}

export interface History {
  /** Accounts involved (1 or 2). */
  accounts: number;
  steps: Step[];
  faults: FaultMix;
  /** End with a fully_synced for every account (then, and only then, webhooks may be lost). */
  finalSync: boolean;
}

/** The local Argyle's knobs for a preset (the 401 window is switched by the executor). */
export function argyleKnobs(preset: ArgylePreset): FaultInput {
  switch (preset) {
    case "none":
    case "401-window":
      return {};
    case "5xx":
      return { serverErrorRate: 0.3 };
    case "429":
      return { rateLimitRate: 0.1, retryAfterSeconds: 1 };
    case "timeouts":
      return { timeoutRate: 0.05 };
    case "malformed":
      return { malformedRate: 0.1 };
    case "all":
      return { serverErrorRate: 0.3, rateLimitRate: 0.1, retryAfterSeconds: 1, timeoutRate: 0.05, malformedRate: 0.05 };
  }
}

/** Histories of up to `maxSteps` steps. */
export function historyArbitrary(maxSteps: number): fc.Arbitrary<History> {
  const account = fc.nat(1);
  const positions = (max: number) => fc.uniqueArray(fc.nat(31), { minLength: 1, maxLength: max });
  const change: fc.Arbitrary<ChangeSpec> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant("update" as const), account, gigs: positions(3) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("remove" as const), account, gigs: positions(2) }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant("add" as const), account, count: fc.integer({ min: 1, max: 2 }) }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("sync" as const), account, full: fc.boolean() }) },
  );
  const step: fc.Arbitrary<Step> = fc.record({
    change,
    // Mostly one copy on time; sometimes late, twice, or (with a final sync) never.
    copies: fc.oneof(
      { weight: 4, arbitrary: fc.constant<number[]>([0]) },
      { weight: 4, arbitrary: fc.array(fc.nat(3), { minLength: 0, maxLength: 2 }) },
    ),
    settle: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });
  const faults: fc.Arbitrary<FaultMix> = fc.record({
    argyle: fc.constantFrom<ArgylePreset>("none", "5xx", "429", "timeouts", "malformed", "401-window", "all"),
    ingest: fc.constantFrom(0, 0.2),
    consumer: fc.constantFrom(0, 0.2),
    crash: fc.constantFrom(0, 0.2),
  });
  return fc
    .record({
      accounts: fc.integer({ min: 1, max: 2 }),
      steps: fc.array(step, { minLength: 1, maxLength: maxSteps }),
      faults,
      finalSync: fc.boolean(),
    })
    .map((h) =>
      // Without a final sync nothing could recover a lost webhook: every change is delivered.
      h.finalSync ? h : { ...h, steps: h.steps.map((s) => (s.copies.length === 0 ? { ...s, copies: [0] } : s)) },
    );
}
