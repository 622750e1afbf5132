import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { argyleUrlProblems } from "../../../scripts/lib/deploy/consumer-url-check.ts";
import { argyleApiUrlProblem } from "../../../src/domain/argyle-api-url.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");

/** wrangler.consumer.toml with the production environment's ARGYLE_API_URL replaced. */
function consumerConfigWith(productionUrl: string): string {
  const original = readFileSync(path.join(ROOT, "wrangler.consumer.toml"), "utf8");
  const lines = original.split("\n");
  const production = lines.findIndex((l) => l.trim() === "[env.production]");
  const at = lines.findIndex((l, i) => i > production && l.startsWith("ARGYLE_API_URL"));
  lines[at] = `ARGYLE_API_URL = "${productionUrl}"`;
  const dir = mkdtempSync(path.join(tmpdir(), "dry-run-url-"));
  const file = path.join(dir, "wrangler.consumer.toml");
  // Relative paths in the config (main, migrations) resolve against the real project.
  writeFileSync(file, lines.join("\n").replace(/^main = "(.*)"$/m, `main = "${path.join(ROOT, "$1")}"`));
  return file;
}

describe("npm run dry-run's ARGYLE_API_URL check", () => {
  it("passes the project's own config in every environment", () => {
    const config = path.join(ROOT, "wrangler.consumer.toml");
    expect(argyleUrlProblems(config, [undefined, "staging", "production"])).toEqual([]);
  });

  it("names the environment and the fix when a base URL misses /v2", () => {
    const config = consumerConfigWith("https://api.argyle.com");
    expect(argyleUrlProblems(config, [undefined, "production"])).toEqual([
      expect.stringMatching(
        /^\[env\.production\]: ARGYLE_API_URL's path must end in \/v2 .*https:\/\/api\.argyle\.com\/v2/,
      ),
    ]);
  });
});

describe("argyleApiUrlProblem", () => {
  it.each(["https://api.argyle.com/v2", "https://api-sandbox.argyle.com/v2/", "http://127.0.0.1:8788/v2"])(
    "accepts %s",
    (url) => expect(argyleApiUrlProblem(url)).toBeNull(),
  );

  it.each([
    ["https://api.argyle.com", /path must end in \/v2/],
    ["https://api.argyle.com/v1", /path must end in \/v2/],
    ["https://api.argyle.com/v2//", /path must end in \/v2/],
    ["https://api.argyle.com/v2/gigs", /path must end in \/v2/],
    ["ftp://api.argyle.com/v2", /http\(s\)/],
    ["api.argyle.com/v2", /absolute URL/],
    ["https://api.argyle.com/v2?x=1", /without a query/],
    ["https://id:secret@api.argyle.com/v2", /must not carry credentials/],
  ])("refuses %s", (url, message) => {
    const problem = argyleApiUrlProblem(url);
    expect(problem).toMatch(message);
    expect(problem).not.toContain("secret@");
  });
});
