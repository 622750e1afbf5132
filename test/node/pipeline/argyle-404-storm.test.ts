/**
 * A storm of non-Argyle 404s through the whole pipeline on miniflare: nothing is tombstoned for
 * them and nothing is lost once it passes. Scenario in
 * scripts/lib/reliability/scenarios/argyle-404-storm.ts.
 */
import { describe, it } from "vitest";
import { ARGYLE_404_STORM_SCENARIO } from "../../../scripts/lib/reliability/scenarios/argyle-404-storm.ts";
import { expectFaultsInjected, expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

describe("a non-Argyle 404 storm", () => {
  it(
    ARGYLE_404_STORM_SCENARIO.title,
    async () => {
      expectFaultsInjected(await expectScenarioHolds(ARGYLE_404_STORM_SCENARIO));
    },
    SCENARIO_TIMEOUT_MS,
  );
});
