/**
 * The console over gig shards: the Overview sums what the shards hold and lists each shard; the
 * Accounts screen merges every shard's accounts in id order; an account's page reads its shard
 * and says which it is.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { resetRateLimit } from "../../../src/receiver/console/rate-limit.ts";
import { insertAccount, insertGigs, makeGig } from "../api-helpers.ts";
import { ConsoleClient } from "../console-helpers.ts";
import { clearTables, gigIds } from "../helpers.ts";

const account = (n: number) => `0187c66e-0000-811c-b006-${n.toString().padStart(12, "0")}`;
let client: ConsoleClient;

async function html(path: string): Promise<string> {
  const res = await client.get(path);
  expect(res.status, path).toBe(200);
  return res.text();
}

beforeEach(async () => {
  resetRateLimit();
  await clearTables();
  // Accounts 1 and 3 on SHARD_1, 2 on SHARD_2 (a failed backfill), 4 on SHARD_3 (running, stalled).
  await insertAccount({ id: account(1), backfill_status: "done" }, "SHARD_1");
  await insertAccount({ id: account(3), backfill_status: "running", backfill_progress_ms: Date.now() }, "SHARD_1");
  await insertAccount(
    {
      id: account(2),
      backfill_status: "failed",
      last_error: "Argyle answered 500",
      last_error_at: new Date().toISOString(),
    },
    "SHARD_2",
  );
  await insertAccount({ id: account(4), backfill_status: "running", backfill_progress_ms: 1 }, "SHARD_3");
  await insertGigs(
    gigIds(3).map((id) => makeGig(id, "2023-03-01T00:00:00Z", account(2))),
    { shard: "SHARD_2" },
  );
  await env.DB.prepare(
    "INSERT INTO shards (name, status, size_bytes, measured_ms, migration) VALUES ('SHARD_2', 'closed', 52400000, ?1, '0001_gig_shard.sql')",
  )
    .bind(Date.now() - 60_000)
    .run();
  client = new ConsoleClient();
  await client.login();
});

describe("console over shards", () => {
  it("Overview: backfills summed over shards, attention from any shard, and one line per shard", async () => {
    const page = await html("/console");
    // Two running (SHARD_1 and SHARD_3), one of them stalled.
    expect(page).toMatch(/Backfills in flight<\/dt>\s*<dd>\s*2\s*<span class="muted">1 stalled/);
    expect(page).toContain(`href="/console/accounts/${account(2)}"`);
    expect(page).toContain("Argyle answered 500");
    expect(page).toContain(`href="/console/accounts/${account(4)}"`);
    const rows = [...page.matchAll(/<tr><td class="id">(SHARD_\d)<\/td>(.*?)<\/tr>/g)].map((m) => [m[1], m[2]]);
    expect(rows.map((r) => r[0])).toEqual(["SHARD_1", "SHARD_2", "SHARD_3"]);
    const line = (name: string) => (rows.find((r) => r[0] === name)?.[1] ?? "").replace(/<[^>]+>/g, " ");
    expect(line("SHARD_1")).toMatch(/open\s+2\s+0\s+not measured\s+not recorded/);
    expect(line("SHARD_2")).toMatch(/closed\s+1\s+3\s+52\.4 MB .*0001_gig_shard\.sql/);
    expect(line("SHARD_3")).toMatch(/open\s+1\s+0\s/);
  });

  it("Accounts merges every shard in id order; an account's page reads its shard and names it", async () => {
    const list = await html("/console/accounts");
    const order = [...list.matchAll(/href="\/console\/accounts\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(order).toEqual([account(1), account(2), account(3), account(4)]);
    const running = await html("/console/accounts?status=running");
    expect(running).toContain(account(3));
    expect(running).toContain(account(4));
    expect(running).not.toContain(account(2));

    const detail = await html(`/console/accounts/${account(2)}`);
    expect(detail).toMatch(/<dt>Shard<\/dt>\s*<dd>SHARD_2/);
    expect(detail).toContain(`href="/console/gigs/${gigIds(1)[0]}"`);
    const gig = await client.get(`/console/gigs/${gigIds(1)[0]}`);
    expect(gig.status).toBe(200);
    expect((await gig.json<{ account: string }>()).account).toBe(account(2));
  });
});
