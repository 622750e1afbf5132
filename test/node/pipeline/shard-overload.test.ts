/**
 * One gig shard overloaded (and some catalog overloads at ingest) through the whole pipeline on
 * miniflare. Scenario in scripts/lib/reliability/scenarios/shard-overload.ts.
 */
import { it } from "vitest";
import { SHARD_OVERLOAD_SCENARIO } from "../../../scripts/lib/reliability/scenarios/shard-overload.ts";
import { expectFaultsInjected, expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

it(
  SHARD_OVERLOAD_SCENARIO.title,
  async () => {
    expectFaultsInjected(await expectScenarioHolds(SHARD_OVERLOAD_SCENARIO));
  },
  SCENARIO_TIMEOUT_MS,
);
