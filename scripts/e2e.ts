/**
 * `npm run test:e2e`: the operator console in a real browser (Debian's Chromium driven by
 * playwright-core) against the real Workers, local D1 and queues, and the local Argyle, as
 * `npm run dev` runs them. It signs in, sees an account complete, breaks a gig's fetch with a
 * local Argyle fault, sees the failure, redrives it and watches the account come back; replays an
 * invalid event; lets the watchdog's cron open an alert for it and acknowledges it on the Alerts
 * screen; runs axe-core on every screen; and screenshots every screen at 375 and 1440 px
 * into test-results/console/. Without a browser it fails, saying how to get one.
 */
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { signBody } from "../src/domain/signature.ts";
import { GIG_EVENT_NAMES } from "../src/domain/webhook-schema.ts";
import { basicAuthHeader } from "../src/local-argyle/app.ts";
import { startLocalArgyle } from "./lib/common/local-argyle-server.ts";
import { ROOT, startStack } from "./lib/common/stack.ts";
import { findChromium, launchChromium } from "./lib/e2e/chromium.ts";

const OUT = path.join(ROOT, "test-results", "console");
const TOKEN = "e2e-admin-token";
const SECRET = "e2e-webhook-secret";
const WIDTHS = [375, 1440] as const;
const require = createRequire(import.meta.url);

let passed = 0;
let failed = 0;

async function step(name: string, run: () => Promise<void>): Promise<void> {
  const started = Date.now();
  try {
    await run();
    passed++;
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed++;
    console.log(`  ✗ ${name}\n    ${(error as Error).stack ?? error}`);
    throw error;
  }
}

/** Polls `check` (reloading `page` between tries) until it holds or `timeoutMs` passes. */
async function eventually(page: Page, what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

async function main(): Promise<void> {
  const found = findChromium(process.env);
  if ("error" in found) {
    console.error(found.error);
    process.exit(1);
  }
  await mkdir(OUT, { recursive: true });
  const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");

  const argyle = await startLocalArgyle({ port: 0, accounts: [{ gigs: 25 }], faults: { retryAfterSeconds: 0 } });
  const stack = await startStack({
    receiverVars: { API_TOKEN_ADMIN: TOKEN, ARGYLE_WEBHOOK_SECRET: SECRET },
    consumerVars: {
      ARGYLE_API_URL: argyle.url,
      ARGYLE_API_KEY_ID: argyle.credentials.keyId,
      ARGYLE_API_KEY_SECRET: argyle.credentials.keySecret,
      RETRY_BASE_SECONDS: "0",
      RETRY_MAX_SECONDS: "1",
      ARGYLE_TIMEOUT_MS: "1500",
      // One cron run opens an alert (no damping), so the Alerts screen is seen with one open.
      ALERT_CHECKS: "1",
    },
    // Quick dead-lettering: three deliveries, then the failure is recorded.
    queueOverrides: {
      "argyle-gig-jobs": { maxBatchTimeout: 0.05, retryDelay: 0, maxRetries: 2 },
      "argyle-gig-jobs-dlq": { maxBatchTimeout: 0.05, retryDelay: 0 },
    },
  });
  let context: BrowserContext | null = null;
  const control = (route: string, init: RequestInit = {}) =>
    fetch(`${argyle.origin}/_local${route}`, { ...init, headers: { "content-type": "application/json" } });
  try {
    const sub = await fetch(`${argyle.url}/webhooks`, {
      method: "POST",
      headers: { authorization: basicAuthHeader(argyle.credentials), "content-type": "application/json" },
      body: JSON.stringify({
        name: "e2e",
        url: `${stack.url}/webhooks/argyle`,
        secret: SECRET,
        events: GIG_EVENT_NAMES,
      }),
    });
    if (!sub.ok) throw new Error(`local Argyle refused the subscription: ${sub.status}`);
    const account = argyle.store.accounts()[0];
    if (!account) throw new Error("the local Argyle has no account");
    const gigId = String(argyle.store.gigsOf(account.id)[0]?.id);
    const total = argyle.store.gigsOf(account.id).length;

    context = await launchChromium(found.path);
    const browserContext = context;
    const page = await context.newPage();
    const base = `${stack.url}/console`;
    console.log(`console e2e: ${stack.url} with ${found.path}`);

    await step("signs in with the admin token", async () => {
      await page.goto(base);
      if (!page.url().endsWith("/console/login")) throw new Error(`not sent to the login form: ${page.url()}`);
      await page.getByLabel("Admin token").fill("wrong");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText("That is not the admin token.").waitFor();
      await page.getByLabel("Admin token").fill(TOKEN);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Overview" }).waitFor();
      const cookies = await browserContext.cookies();
      const session = cookies.find((c) => c.name === "console_session");
      if (!session?.httpOnly || !session.secure || session.sameSite !== "Strict")
        throw new Error("session cookie flags");
    });

    await step("sees the account complete after Argyle's fully_synced", async () => {
      await control("/mutate", {
        method: "POST",
        body: JSON.stringify({ action: "fully_synced", account: account.id }),
      });
      await page.goto(`${base}/accounts/${account.id}`);
      await eventually(page, `${total} of ${total} stored, backfill done`, async () => {
        const text = (await page.locator("main").textContent()) ?? "";
        return text.includes(`${total} / ${total}`) && (await page.locator(".tile .badge.s-done").count()) > 0;
      });
    });

    await step("breaks a gig's fetch, sees the failure, redrives it and the account comes back", async () => {
      await control("/faults", {
        method: "PUT",
        body: JSON.stringify({ serverErrorRate: 1, serverErrorStatuses: [503], onlyIds: [gigId] }),
      });
      await control("/mutate", { method: "POST", body: JSON.stringify({ action: "update", ids: [gigId] }) });
      await page.goto(`${base}/failures?status=open`);
      await eventually(
        page,
        "an open failure",
        async () => (await page.getByRole("button", { name: "Redrive" }).count()) > 0,
      );
      await page.goto(`${base}/accounts/${account.id}`);
      const openLink = page.locator(`a[href^="/console/failures?status=open&account="]`);
      if (((await openLink.textContent()) ?? "").trim() !== "1")
        throw new Error("the account page does not show its open failure");
      await control("/faults", { method: "PUT", body: "{}" });
      await page.goto(`${base}/failures?status=open`);
      await page.getByRole("button", { name: "Redrive" }).first().click();
      await page.getByText("redriven: its job is back on the queue").waitFor();
      await page.goto(`${base}/accounts/${account.id}`);
      const updatedAt = String(argyle.store.gigsOf(account.id).find((g) => String(g.id) === gigId)?.updated_at);
      await eventually(page, "the gig re-fetched and no open failure", async () => {
        const res = await fetch(`${stack.url}/v2/gigs/${gigId}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        const gig = (await res.json()) as { updated_at?: string };
        const text = (await page.locator("main").textContent()) ?? "";
        return (
          gig.updated_at === updatedAt &&
          text.includes(`${total} / ${total}`) &&
          !(await page.locator(".notice.error").count())
        );
      });
      if (((await openLink.textContent()) ?? "").trim() !== "0") throw new Error("open failures did not return to 0");
    });

    await step("replays an invalid event", async () => {
      const body = JSON.stringify({
        event: "gigs.updated",
        name: "e2e",
        data: { account: account.id, updated_gigs: "not a list" },
      });
      const res = await fetch(`${stack.url}/webhooks/argyle`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-argyle-signature": await signBody(SECRET, body) },
        body,
      });
      const { id, status } = (await res.json()) as { id: string; status: string };
      if (status !== "invalid") throw new Error(`expected an invalid event, got ${status}`);
      await page.goto(`${base}/events?status=invalid`);
      await page.locator(`a[href="/console/events/${id}"]`).click();
      await page.getByText("data.updated_gigs").first().waitFor();
      await page.getByRole("button", { name: "Replay this event" }).click();
      await page.waitForURL((url) => url.pathname.startsWith("/console/events/") && !url.pathname.endsWith(id));
      await page.locator(`a[href="/console/events/${id}"]`).waitFor();
    });

    await step(
      "the watchdog's cron opens an alert for the invalid webhook, and the Alerts screen lists it",
      async () => {
        await stack.runCron();
        await page.goto(`${base}/alerts?status=open&rule=invalid_webhooks`);
        await page.getByRole("button", { name: "Acknowledge" }).first().waitFor();
        await page.goto(base);
        const open = page.locator('a[href="/console/alerts?status=open"]');
        if (Number(((await open.textContent()) ?? "").trim()) < 1) throw new Error("the Overview counts no open alert");
      },
    );

    const screens: [string, string][] = [
      ["overview", "/console"],
      ["accounts", "/console/accounts"],
      ["account", `/console/accounts/${account.id}`],
      ["events", "/console/events"],
      ["event", ""],
      ["failures", "/console/failures"],
      ["alerts", "/console/alerts"],
    ];
    await step("every screen passes axe with no serious or critical violation, light and dark", async () => {
      await page.goto(`${base}/events?status=invalid`);
      const firstEvent = await page.locator('a[href^="/console/events/0"]').first().getAttribute("href");
      const eventScreen = screens.find(([name]) => name === "event");
      if (eventScreen && firstEvent) eventScreen[1] = firstEvent;
      const problems: string[] = [];
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const [name, route] of screens) {
          await page.goto(`${stack.url}${route}`);
          await page.addScriptTag({ content: axeSource });
          const violations = (await page.evaluate(async () => {
            const axe = (
              globalThis as unknown as {
                axe: {
                  run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }>;
                };
              }
            ).axe;
            const result = await axe.run({ resultTypes: ["violations"] });
            return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
          })) as { id: string; impact: string; nodes: number }[];
          for (const v of violations) {
            if (v.impact === "serious" || v.impact === "critical")
              problems.push(`${name} (${scheme}): ${v.id} ${v.impact} ×${v.nodes}`);
          }
        }
      }
      await page.emulateMedia({ colorScheme: "light" });
      if (problems.length > 0) throw new Error(`axe found:\n      ${problems.join("\n      ")}`);
    });

    await step("screenshots every screen at 375 and 1440 px", async () => {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
        for (const [name, route] of screens) {
          await page.goto(`${stack.url}${route}`);
          const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
          if (scrollWidth > width + 1) throw new Error(`${name} is ${scrollWidth} px wide at ${width} px`);
          await page.screenshot({ path: path.join(OUT, `${name}-${width}.png`), fullPage: true });
        }
      }
      await page.emulateMedia({ colorScheme: "dark" });
      await page.goto(base);
      await page.screenshot({ path: path.join(OUT, "overview-1440-dark.png"), fullPage: true });
    });

    await step("acknowledges the open alert", async () => {
      await page.goto(`${base}/alerts?status=open&rule=invalid_webhooks`);
      await page.getByRole("button", { name: "Acknowledge" }).first().click();
      await page.getByText("acknowledged: no more notices for it").waitFor();
      await page.goto(`${base}/alerts?status=acknowledged&rule=invalid_webhooks`);
      await page.locator(".badge.s-acknowledged").first().waitFor();
    });

    await step("logs out", async () => {
      await page.getByRole("button", { name: "Log out" }).click();
      await page.getByLabel("Admin token").waitFor();
      await page.goto(base);
      if (!page.url().endsWith("/console/login")) throw new Error("still signed in after logout");
    });
  } finally {
    await context?.close();
    await Promise.allSettled([stack.dispose(), argyle.close()]);
    console.log(`\n${passed} passed, ${failed} failed`);
    console.log(`screenshots: ${path.relative(ROOT, OUT)}/`);
  }
}

main().then(
  () => process.exit(failed > 0 ? 1 : 0),
  (error: unknown) => {
    if (failed === 0) console.error(error);
    process.exit(1);
  },
);
