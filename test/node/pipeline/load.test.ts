/**
 * Load against the receiver on the local runtime (scripts/lib/reliability/scenarios/load.ts): all
 * deliveries accepted, one event each, every gig stored once the queue drains.
 */
import { describe, it } from "vitest";
import { LOAD_SCENARIO } from "../../../scripts/lib/reliability/scenarios/load.ts";
import { expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

describe("load", () => {
  it(
    LOAD_SCENARIO.title,
    async () => {
      await expectScenarioHolds(LOAD_SCENARIO);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
