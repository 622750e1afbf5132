/**
 * The property (fast-check): random histories of changes and deliveries under random faults end,
 * once the queues drain, with the mirror equal to Argyle's truth. Shrunk counterexamples are
 * saved in ./regressions/ and each is replayed here as its own test.
 */
import { describe, expect, it } from "vitest";
import { localShardCount } from "../../../scripts/lib/common/stack.ts";
import { sizesFor } from "../../../scripts/lib/reliability/scale.ts";
import { describeRun } from "../../../scripts/lib/reliability/scenario.ts";
import {
  HISTORY_SCENARIO,
  loadRegressions,
  replayRegression,
} from "../../../scripts/lib/reliability/scenarios/histories.ts";
import { expectFaultsInjected, expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

const regressions = await loadRegressions();

describe("random histories", () => {
  it(
    HISTORY_SCENARIO.title,
    async () => {
      const run = await expectScenarioHolds(HISTORY_SCENARIO);
      expectFaultsInjected(run);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it.each(regressions.map((r) => ({ ...r, name: r.file })))(
    "regression $name",
    async ({ regression }) => {
      const shards = localShardCount(undefined, process.env);
      const ctx = { scale: "small" as const, sizes: sizesFor("small"), seed: regression.seed, shards, log: () => {} };
      const result = await replayRegression(ctx, regression.history);
      const run = {
        ...result,
        id: "regression",
        shards,
        title: "",
        testFile: "",
        seed: regression.seed,
        scale: "small" as const,
        ms: 0,
      };
      expect(result.violations, describeRun(run)).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
