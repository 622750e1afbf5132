/**
 * The watchdog through the whole pipeline on miniflare: an Argyle outage of 401s produces exactly
 * one "opened" and one "resolved" notification, and nothing is lost. Scenario in
 * scripts/lib/reliability/scenarios/alerts.ts.
 */
import { describe, it } from "vitest";
import { ALERT_SCENARIOS } from "../../../scripts/lib/reliability/scenarios/alerts.ts";
import { expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

describe("alerts", () => {
  for (const scenario of ALERT_SCENARIOS) {
    it(scenario.title, async () => void (await expectScenarioHolds(scenario)), SCENARIO_TIMEOUT_MS);
  }
});
