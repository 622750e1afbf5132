/**
 * The watchdog under a real outage: Argyle refuses our API key for 10 minutes, then accepts it.
 * Time is simulated for the cron (one run per simulated minute, `scheduledTime` moved on), while
 * jobs meet the real local Argyle's 401s and retry with compressed delays. Exactly one "opened"
 * and one "resolved" notification must reach the alert endpoint (a local HTTP sink), in that
 * order, and the mirror must end complete: nothing lost.
 * @module
 */

import { createRandom } from "../../../../src/local-argyle/random.ts";
import { startAlertSink } from "../../dev/alert-sink.ts";
import { Pipeline, sleep } from "../pipeline.ts";
import { conclude, type Scenario, type ScenarioContext, type ScenarioResult } from "../scenario.ts";
import { type Change, pool, Workload } from "../workload.ts";

const TEST_FILE = "test/node/pipeline/alerts.test.ts";
const MIN = 60_000;
/** Simulated minutes of refusal, and clear minutes after it (enough for ALERT_CHECKS = 3). */
const REFUSED_MINUTES = 10;
const CLEAR_MINUTES = 5;

async function runAuthWindow(ctx: ScenarioContext): Promise<ScenarioResult> {
  const received: { transition: string; rule: string }[] = [];
  const sink = await startAlertSink({
    port: 0,
    print: () => {},
    onBody: (body) => {
      const json = JSON.parse(body) as { type: string; alert: { rule: string } };
      received.push({ transition: json.type, rule: json.alert.rule });
    },
  });
  const random = createRandom(ctx.seed);
  const gigs = ctx.sizes.faultGigs;
  const p = await Pipeline.start({
    seed: ctx.seed,
    accounts: [{ gigs }, { gigs: Math.round(gigs / 2) }],
    consumerVars: {
      ARGYLE_PAGE_SIZE: "25",
      ALERT_WEBHOOK_URL: sink.url,
      ALERT_WEBHOOK_FORMAT: "json",
      ALERT_WEBHOOK_SECRET: "reliability-alert-secret",
    },
  });
  try {
    p.logs.secret("reliability-alert-secret");
    const accounts = p.argyle.store.accounts().map((a) => a.id);
    const work = new Workload(p.argyle.store);
    await pool(accounts, accounts.length, async (account) => {
      await p.deliver(work.fullySynced(account));
    });
    await p.waitForDrain(accounts, 60_000);

    // The outage: every Argyle request answers 401 while changes keep arriving.
    const t0 = Date.now();
    let minute = 0;
    const cron = () => p.stack.runCron(new Date(t0 + minute++ * MIN));
    p.argyle.faults.update({ authFailing: true });
    const changes: Change[] = [];
    for (let i = 0; i < ctx.sizes.faultChanges; i++) {
      const change = work.random(random, random.pick(accounts));
      if (change) changes.push(change);
    }
    await pool(changes, 3, async (change) => {
      await p.deliver(change.payload);
    });
    // Let the jobs meet the 401 (each records an auth attempt), then ten cron runs, a minute apart.
    await sleep(500);
    while (minute < REFUSED_MINUTES) await cron();
    const duringOutage = received.length;
    p.argyle.faults.update({ authFailing: false });
    ctx.log(`${changes.length} changes delivered under 401s; key accepted again, waiting for the queues to drain`);

    const result = await conclude(p, {
      truth: { accounts, removed: work.removed, permanent: new Set() },
      drainTimeoutMs: 90_000,
    });
    // Drained: every job has succeeded and cleared its attempt log. Five clear cron runs.
    for (let i = 0; i < CLEAR_MINUTES; i++) await cron();

    const seen = received.map((r) => `${r.rule} ${r.transition}`);
    const expected = ["auth_refused alert.opened", "auth_refused alert.resolved"];
    if (JSON.stringify(seen) !== JSON.stringify(expected)) {
      result.violations.push(`the alert endpoint received [${seen.join(", ")}], not [${expected.join(", ")}]`);
    }
    if (duringOutage !== 1) result.violations.push(`${duringOutage} notifications during the outage, not 1 ("opened")`);
    result.notes.push(
      `alert notifications: ${seen.join(", ") || "none"} (cron runs: ${minute}, one per simulated minute)`,
    );
    return result;
  } finally {
    await Promise.allSettled([p.close(), sink.close()]);
  }
}

export const ALERT_SCENARIOS: Scenario[] = [
  {
    id: "alerts-auth-window",
    title: "Alerts: Argyle refuses the key for 10 (simulated) minutes, then accepts it: one opened, one resolved",
    testFile: TEST_FILE,
    defaultSeed: 3201,
    run: runAuthWindow,
  },
];
