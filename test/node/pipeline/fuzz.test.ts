/**
 * Fuzzing the receiver over HTTP (scripts/lib/reliability/scenarios/fuzz.ts): never a 5xx but an
 * injected fault's 503, nothing stored without a valid signature for the exact bytes, valid
 * deliveries accepted, the Worker healthy afterwards, nothing sensitive logged.
 */
import { describe, it } from "vitest";
import { FUZZ_SCENARIO } from "../../../scripts/lib/reliability/scenarios/fuzz.ts";
import { expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

describe("fuzzing the door", () => {
  it(
    FUZZ_SCENARIO.title,
    async () => {
      await expectScenarioHolds(FUZZ_SCENARIO);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
