/**
 * The README's configuration table is the users' reference: every var in the wrangler configs
 * and every secret and var the Workers read must have a row, so a new setting cannot ship
 * undocumented.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/common/stack.ts";

const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

/** Names declared in an Env interface (`NAME?: string` / `NAME: D1Database`), upper-case only. */
function envNames(file: string): string[] {
  return [...read(file).matchAll(/^\s+([A-Z][A-Z0-9_]+)\??:\s*string/gm)].map((m) => m[1] as string);
}

/** Keys of every `[vars]` / `[env.*.vars]` table in a wrangler TOML file. */
function tomlVars(file: string): string[] {
  const names = new Set<string>();
  let inVars = false;
  for (const line of read(file).split("\n")) {
    if (/^\[/.test(line)) inVars = /^\[(env\.[\w-]+\.)?vars\]/.test(line);
    const key = /^([A-Z][A-Z0-9_]+)\s*=/.exec(line);
    if (inVars && key) names.add(key[1] as string);
  }
  return [...names];
}

const readme = read("README.md");
const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]));

describe("README configuration table", () => {
  const settings = [
    ...envNames("src/receiver/env.ts"),
    ...envNames("src/consumer/env.ts"),
    ...tomlVars("wrangler.toml"),
    ...tomlVars("wrangler.consumer.toml"),
  ];

  it("finds the settings it checks", () => {
    expect(settings).toEqual(expect.arrayContaining(["ARGYLE_WEBHOOK_SECRET", "MAX_SUBREQUESTS", "ARGYLE_API_URL"]));
  });

  it.each([...new Set(settings)])("documents %s", (name) => {
    expect(documented.has(name)).toBe(true);
  });
});
