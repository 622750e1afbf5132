/**
 * Faults at ingest (the receiver's D1 writes, Queue sends, both) through the whole pipeline on
 * miniflare: 503s, redelivery, and afterwards the event log and mirror exactly as the deliveries
 * account for. Scenarios in scripts/lib/reliability/scenarios/ingest-faults.ts.
 */
import { describe, it } from "vitest";
import { INGEST_SCENARIOS } from "../../../scripts/lib/reliability/scenarios/ingest-faults.ts";
import { expectFaultsInjected, expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

describe("faults at ingest", () => {
  for (const scenario of INGEST_SCENARIOS) {
    it(
      scenario.title,
      async () => {
        expectFaultsInjected(await expectScenarioHolds(scenario));
      },
      SCENARIO_TIMEOUT_MS,
    );
  }
});
