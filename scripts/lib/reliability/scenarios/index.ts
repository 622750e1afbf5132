/**
 * Every reliability scenario, in the order `npm run reliability` runs and reports them.
 * @module
 */
import type { Scenario } from "../scenario.ts";
import { ACCOUNT_REMOVAL_SCENARIO } from "./account-removal.ts";
import { ALERT_SCENARIOS } from "./alerts.ts";
import { ARGYLE_404_STORM_SCENARIO } from "./argyle-404-storm.ts";
import { ARGYLE_SCENARIOS } from "./argyle-faults.ts";
import { CONSUMER_SCENARIOS } from "./consumer-faults.ts";
import { FUZZ_SCENARIO } from "./fuzz.ts";
import { HISTORY_SCENARIO } from "./histories.ts";
import { INGEST_SCENARIOS } from "./ingest-faults.ts";
import { LOAD_SCENARIO } from "./load.ts";
import { MOVE_UNDER_LOAD_SCENARIO } from "./move-under-load.ts";
import { OUTBOX_SCENARIOS } from "./outbox.ts";
import { SHARD_OVERLOAD_SCENARIO } from "./shard-overload.ts";

export const SCENARIOS: readonly Scenario[] = [
  ...INGEST_SCENARIOS,
  ...OUTBOX_SCENARIOS,
  ...CONSUMER_SCENARIOS,
  SHARD_OVERLOAD_SCENARIO,
  ...ARGYLE_SCENARIOS,
  ARGYLE_404_STORM_SCENARIO,
  ...ALERT_SCENARIOS,
  ACCOUNT_REMOVAL_SCENARIO,
  MOVE_UNDER_LOAD_SCENARIO,
  HISTORY_SCENARIO,
  FUZZ_SCENARIO,
  LOAD_SCENARIO,
];
