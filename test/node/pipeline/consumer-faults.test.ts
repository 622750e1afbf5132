/**
 * Faults in the consumer (D1 calls failing, the Worker dying part-way through a batch) through the
 * whole pipeline on miniflare. Scenarios in scripts/lib/reliability/scenarios/consumer-faults.ts.
 */
import { describe, it } from "vitest";
import { CONSUMER_SCENARIOS } from "../../../scripts/lib/reliability/scenarios/consumer-faults.ts";
import { expectFaultsInjected, expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

describe("faults in the consumer", () => {
  for (const scenario of CONSUMER_SCENARIOS) {
    it(
      scenario.title,
      async () => {
        expectFaultsInjected(await expectScenarioHolds(scenario));
      },
      SCENARIO_TIMEOUT_MS,
    );
  }
});
