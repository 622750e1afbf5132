/**
 * Faults at Argyle (5xx, 429, timeouts, malformed JSON, gigs removed meanwhile, 401 for a while)
 * through the whole pipeline on miniflare, with the local Argyle over real HTTP. Scenarios in
 * scripts/lib/reliability/scenarios/argyle-faults.ts.
 */
import { describe, it } from "vitest";
import { ARGYLE_SCENARIOS } from "../../../scripts/lib/reliability/scenarios/argyle-faults.ts";
import { expectFaultsInjected, expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

describe("faults at Argyle", () => {
  for (const scenario of ARGYLE_SCENARIOS) {
    it(
      scenario.title,
      async () => {
        expectFaultsInjected(await expectScenarioHolds(scenario));
      },
      SCENARIO_TIMEOUT_MS,
    );
  }
});
