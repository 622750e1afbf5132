/**
 * Finding and launching the system's Chromium for the console's end-to-end test. Playwright's own
 * browser download cannot work on our machines (only the npm registry and Debian's packages are
 * reachable), so the test drives Debian's `chromium` package through playwright-core.
 * @module
 */
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** The browser to use, or a message saying how to get one. */
export function findChromium(env: Record<string, string | undefined>): { path: string } | { error: string } {
  const candidate = env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  if (existsSync(candidate)) return { path: candidate };
  return {
    error: [
      `npm run test:e2e needs Chromium, and there is none at ${candidate}.`,
      "Install Debian's package:   sudo apt-get update && sudo apt-get install -y chromium",
      "or point CHROMIUM_PATH at a Chromium or Chrome binary:   CHROMIUM_PATH=/path/to/chrome npm run test:e2e",
    ].join("\n"),
  };
}

/**
 * Chromium with a fresh profile (Playwright takes the profile directory as the persistent
 * context's, rather than as a flag). `bypassCSP` only so axe-core can be injected for the checks;
 * the console's own pages never need it.
 */
export async function launchChromium(executablePath: string): Promise<BrowserContext> {
  const profile = await mkdtemp(path.join(tmpdir(), "console-e2e-"));
  return chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    bypassCSP: true,
    viewport: { width: 1440, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
