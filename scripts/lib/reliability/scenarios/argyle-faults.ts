/**
 * Faults at Argyle, from the local Argyle's knobs: 5xx, 429 with Retry-After, requests that hang
 * until the consumer times out, truncated JSON, gigs removed between their webhook and the fetch
 * (404), and a revoked key (401) for a while. Every gig Argyle has must end stored in its newest
 * version, removed ones tombstoned, and only gigs that can never be stored in `failures`.
 * @module
 */

import { sleep } from "../pipeline.ts";
import type { Scenario } from "../scenario.ts";
import { runChanges } from "./changes.ts";

const TEST_FILE = "test/node/pipeline/argyle-faults.test.ts";

function knobScenario(id: string, title: string, defaultSeed: number, faults: Record<string, unknown>): Scenario {
  return { id, title, testFile: TEST_FILE, defaultSeed, run: (ctx) => runChanges(ctx, { argyleFaults: faults }) };
}

export const ARGYLE_SCENARIOS: Scenario[] = [
  knobScenario("argyle-5xx", "Argyle: 30 % of requests answer 5xx", 3101, { serverErrorRate: 0.3 }),
  knobScenario("argyle-429", "Argyle: 10 % of requests answer 429 with Retry-After: 1", 3102, {
    rateLimitRate: 0.1,
    retryAfterSeconds: 1,
  }),
  knobScenario("argyle-timeouts", "Argyle: 5 % of requests hang until the consumer times out", 3103, {
    timeoutRate: 0.05,
  }),
  knobScenario("argyle-malformed", "Argyle: 10 % of answers are truncated JSON", 3104, { malformedRate: 0.1 }),
  {
    id: "argyle-removed-meanwhile",
    title: "Argyle: gigs removed between their webhook and the fetch (404)",
    testFile: TEST_FILE,
    defaultSeed: 3105,
    run: (ctx) =>
      runChanges(ctx, {
        during: async (p, work, random) => {
          // A gig changes, its webhook is delayed, and Argyle removes the gig before we fetch it.
          const account = p.argyle.store.accounts()[0]?.id as string;
          const count = Math.max(4, Math.round(ctx.sizes.faultChanges / 3));
          const late: string[] = [];
          const removals = [];
          for (let i = 0; i < count; i++) {
            const change = work.update(account, 1);
            if (!change) break;
            late.push(p.bodyOf(change.payload));
            removals.push(work.remove(account, change.gigIds));
          }
          for (const body of late) await p.deliver(body);
          // Half the removal webhooks arrive (late); the others never come: the 404 is all we get.
          for (const removal of removals) if (removal && random.chance(0.5)) await p.deliver(removal.payload);
          return { extraFaults: [["404 (removed meanwhile)", late.length]] };
        },
      }),
  },
  {
    id: "argyle-401-window",
    title: "Argyle: every request answers 401 for a while, then back to normal",
    testFile: TEST_FILE,
    defaultSeed: 3106,
    run: (ctx) =>
      runChanges(ctx, {
        during: async (p) => {
          p.argyle.faults.update({ authFailing: true });
          // Long enough for every job of the changes to meet the 401 at least once.
          await sleep(ctx.scale === "full" ? 8_000 : 3_000);
          p.argyle.faults.update({ authFailing: false });
          return {};
        },
        // The consumer must have backed off as for a bad key (at least 5 minutes), not hammered.
        check: (p) => {
          const asked = p.faults?.stats().longestRequestedDelaySeconds ?? 0;
          return asked >= 300 ? [] : [`after 401s the longest retry delay asked was ${asked} s, not >= 300 s`];
        },
      }),
  },
  {
    id: "argyle-all",
    title: "Argyle: 5xx 30 %, 429 10 %, timeouts 5 %, malformed 5 % at once, and 2 gigs served invalid",
    testFile: TEST_FILE,
    defaultSeed: 3107,
    run: (ctx) =>
      runChanges(ctx, {
        argyleFaults: {
          serverErrorRate: 0.3,
          rateLimitRate: 0.1,
          retryAfterSeconds: 1,
          timeoutRate: 0.05,
          malformedRate: 0.05,
        },
        permanent: 2,
      }),
  },
];
