/**
 * Accounts moved between gig shards while their webhooks keep arriving, under consumer faults and
 * with one move's message lost at the API, through the whole pipeline on miniflare. Scenario in
 * scripts/lib/reliability/scenarios/move-under-load.ts.
 */
import { it } from "vitest";
import { MOVE_UNDER_LOAD_SCENARIO } from "../../../scripts/lib/reliability/scenarios/move-under-load.ts";
import { expectFaultsInjected, expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

it(
  MOVE_UNDER_LOAD_SCENARIO.title,
  async () => {
    expectFaultsInjected(await expectScenarioHolds(MOVE_UNDER_LOAD_SCENARIO));
  },
  SCENARIO_TIMEOUT_MS,
);
