/**
 * Accounts removed while their backfills and fetches are in flight, under faults, through the
 * whole pipeline on miniflare. Scenario in scripts/lib/reliability/scenarios/account-removal.ts.
 */
import { it } from "vitest";
import { ACCOUNT_REMOVAL_SCENARIO } from "../../../scripts/lib/reliability/scenarios/account-removal.ts";
import { expectFaultsInjected, expectScenarioHolds, SCENARIO_TIMEOUT_MS } from "./helpers.ts";

it(
  ACCOUNT_REMOVAL_SCENARIO.title,
  async () => {
    expectFaultsInjected(await expectScenarioHolds(ACCOUNT_REMOVAL_SCENARIO));
  },
  SCENARIO_TIMEOUT_MS,
);
