/**
 * Argyle's URL answers 404s that are not Argyle's (a proxy's HTML page, as when a route or a base
 * path breaks in front of the API) for a while, then recovers. Changes keep arriving and a full
 * sync runs into the storm. Only Argyle's own not-found means gone, so nothing may be tombstoned
 * for these 404s: every gig still live at Argyle must end stored (the mirror check counts a gig
 * wrongly tombstoned as lost), and every job that met the storm must retry and finish once it
 * ends.
 * @module
 */
import { sleep } from "../pipeline.ts";
import type { Scenario } from "../scenario.ts";
import { runChanges } from "./changes.ts";

export const ARGYLE_404_STORM_SCENARIO: Scenario = {
  id: "argyle-foreign-404-storm",
  title: "Argyle: every request answers a non-Argyle 404 (HTML) for a while, then recovers",
  testFile: "test/node/pipeline/argyle-404-storm.test.ts",
  defaultSeed: 3108,
  run: (ctx) =>
    runChanges(ctx, {
      during: async (p, work) => {
        p.argyle.faults.update({ foreignNotFoundRate: 1 });
        // A sync during the storm: its listing and its reconciliation both meet the 404s.
        const account = p.argyle.store.accounts()[0]?.id as string;
        await p.deliver(work.fullySynced(account));
        await sleep(ctx.scale === "full" ? 8_000 : 3_000);
        p.argyle.faults.update({ foreignNotFoundRate: 0 });
        const storm = p.argyle.stats.snapshot().faults.foreign_not_found ?? 0;
        return { extraFaults: [["non-Argyle 404 (HTML page)", storm]] };
      },
    }),
};
