/**
 * The browser test must never skip for want of a browser: it fails, saying how to get one. This
 * runs in `npm test`, which itself needs no Chromium.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CHROMIUM, findChromium } from "../../../scripts/lib/e2e/chromium.ts";

describe("finding Chromium for npm run test:e2e", () => {
  it("explains how to install Debian's chromium or set CHROMIUM_PATH when there is none", () => {
    const found = findChromium({ CHROMIUM_PATH: "/nonexistent/chromium" });
    expect(found).toEqual({ error: expect.stringContaining("there is none at /nonexistent/chromium") });
    const message = "error" in found ? found.error : "";
    expect(message).toContain("apt-get install -y chromium");
    expect(message).toContain("CHROMIUM_PATH=");
  });

  it("uses CHROMIUM_PATH when it names a file, else Debian's path", () => {
    expect(findChromium({ CHROMIUM_PATH: process.execPath })).toEqual({ path: process.execPath });
    const fallback = findChromium({});
    expect("path" in fallback ? fallback.path : fallback.error).toContain(DEFAULT_CHROMIUM);
  });
});
