/**
 * Runs reliability scenarios as tests: at the size RELIABILITY_SCALE asks for (small unless told),
 * with the seed RELIABILITY_SEED gives (each scenario's own otherwise). A failure names every
 * broken invariant and the command that replays the run.
 */
import { expect } from "vitest";
import {
  describeRun,
  runScenario,
  type Scenario,
  type ScenarioRun,
} from "../../../scripts/lib/reliability/scenario.ts";

/** Generous: a scenario at small size takes seconds, but two run at once on two cores. */
export const SCENARIO_TIMEOUT_MS = 240_000;

export async function expectScenarioHolds(scenario: Scenario): Promise<ScenarioRun> {
  const run = await runScenario(scenario);
  expect(run.violations, describeRun(run)).toEqual([]);
  expect(run.lost, describeRun(run)).toBe(0);
  return run;
}

/** Fails a fault scenario in which no fault happened: it would prove nothing. */
export function expectFaultsInjected(run: ScenarioRun): void {
  expect(run.faults, `${run.id}: no fault was injected (seed ${run.seed}); the run proves nothing`).toBeGreaterThan(0);
}
