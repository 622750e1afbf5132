/**
 * `npm run dry-run` refuses a MAX_BODY_BYTES the receiver would refuse at run time (above D1's
 * row limit), in any environment, before anything is deployed.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/common/stack.ts";
import { bodyLimitProblems } from "../../scripts/lib/deploy/body-limit-check.ts";

async function configWith(edit: (toml: string) => string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "body-limit-"));
  const toml = await readFile(path.join(ROOT, "wrangler.toml"), "utf8");
  await writeFile(path.join(dir, "wrangler.toml"), edit(toml));
  return dir;
}

describe("the dry-run's MAX_BODY_BYTES check", () => {
  it("passes the shipped wrangler.toml", () => {
    expect(bodyLimitProblems(ROOT)).toEqual([]);
  });

  it("names the environment whose limit is above D1's row limit, and why", async () => {
    let seen = 0;
    const dir = await configWith((toml) =>
      // Only the production environment's value (the third occurrence) goes too high.
      toml.replace(/MAX_BODY_BYTES = "\d+"/g, (match) => (++seen === 3 ? 'MAX_BODY_BYTES = "4194304"' : match)),
    );
    expect(bodyLimitProblems(dir)).toEqual([
      expect.stringMatching(/^wrangler\.toml \(env production\): MAX_BODY_BYTES is 4194304, above 1900000: D1/),
    ]);
  });

  it("refuses a value that is not a positive integer", async () => {
    const dir = await configWith((toml) => toml.replace(/MAX_BODY_BYTES = "\d+"/, 'MAX_BODY_BYTES = "1 MiB"'));
    expect(bodyLimitProblems(dir)).toEqual(["wrangler.toml (top level): MAX_BODY_BYTES must be a positive integer."]);
  });
});
