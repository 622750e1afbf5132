/**
 * The outbox and arrival dating through the whole pipeline on miniflare: the Queue down while the
 * receiver dies after each 202 (nothing lost, no redelivery needed), and replays of old events
 * amid new ones (nothing rewound). Scenarios in scripts/lib/reliability/scenarios/outbox.ts.
 */
import { describe, it } from "vitest";
import { OUTBOX_SCENARIOS } from "../../../scripts/lib/reliability/scenarios/outbox.ts";
import { expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

describe("the outbox and arrival dating", () => {
  for (const scenario of OUTBOX_SCENARIOS) {
    it(scenario.title, async () => void (await expectScenarioHolds(scenario)), SCENARIO_TIMEOUT_MS);
  }
});
