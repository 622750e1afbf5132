/**
 * Freshness headers on /v2/gigs: how current the data is, per account, per user and for the
 * whole mirror, while the body stays exactly Argyle's.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { ACCOUNT, api, insertAccount, insertFailure, insertGigs, makeGig, USER } from "../api-helpers.ts";
import { clearTables, gigIds } from "../helpers.ts";

const SYNCED = "2026-11-20T08:00:00.000Z";
const OTHER = "0187c66e-0000-811c-b006-2232f00f4200";

function freshness(res: Response) {
  return {
    synced: res.headers.get("x-mirror-synced-at"),
    backfill: res.headers.get("x-mirror-backfill"),
    failures: res.headers.get("x-mirror-open-failures"),
    scope: res.headers.get("x-mirror-scope"),
  };
}

beforeEach(clearTables);

describe("freshness headers on /v2/gigs", () => {
  it("per account: last complete listing, backfill state and open failures, on the gig and on its list", async () => {
    const [id] = gigIds(1);
    const gig = makeGig(id as string, "2023-03-01T00:00:00Z");
    await insertAccount({ id: ACCOUNT, last_reconciled_ms: Date.parse(SYNCED), backfill_status: "running" });
    await insertGigs([gig]);
    await insertFailure({ id: "0190c0de-0000-7000-8000-000000000011" });
    await insertFailure({ id: "0190c0de-0000-7000-8000-000000000012" });
    await insertFailure({ id: "0190c0de-0000-7000-8000-000000000013", status: "redriven" });

    const one = await api(`/v2/gigs/${id}`);
    expect(await one.text()).toBe(JSON.stringify(gig));
    expect(freshness(one)).toEqual({ synced: SYNCED, backfill: "running", failures: "2", scope: "account" });

    const list = await api(`/v2/gigs?account=${ACCOUNT}&limit=1`);
    const body = await list.json<{ results: unknown[]; next: string | null }>();
    expect(Object.keys(body)).toEqual(["results", "next", "previous"]);
    expect(freshness(list)).toEqual({ synced: SYNCED, backfill: "running", failures: "2", scope: "account" });
  });

  it("across several accounts the least fresh speaks: oldest sync (never if any never synced), running if any, the sum of failures", async () => {
    await insertAccount({ id: ACCOUNT, last_reconciled_ms: Date.parse(SYNCED) });
    await insertAccount({
      id: OTHER,
      last_reconciled_ms: Date.parse("2026-11-25T00:00:00Z"),
      backfill_status: "running",
    });
    await insertFailure({ id: "0190c0de-0000-7000-8000-000000000021", account: OTHER });
    expect(freshness(await api(`/v2/gigs?user=${USER}`))).toEqual({
      synced: SYNCED,
      backfill: "running",
      failures: "1",
      scope: "user",
    });
    expect(freshness(await api("/v2/gigs"))).toEqual({
      synced: SYNCED,
      backfill: "running",
      failures: "1",
      scope: "all",
    });

    await insertAccount({ id: "0187c66e-0000-811c-b006-2232f00f4201" });
    expect(freshness(await api("/v2/gigs"))).toMatchObject({ synced: "never", scope: "all" });
  });

  it("an account never fully listed reads never / idle / 0", async () => {
    const [id] = gigIds(1, "0a0a");
    await insertAccount({ id: ACCOUNT });
    await insertGigs([makeGig(id as string, null)]);
    expect(freshness(await api(`/v2/gigs/${id}`))).toEqual({
      synced: "never",
      backfill: "idle",
      failures: "0",
      scope: "account",
    });
  });

  it("errors carry none (there is no account to describe)", async () => {
    const res = await api(`/v2/gigs/${gigIds(1, "0b0b")[0]}`);
    expect(res.status).toBe(404);
    expect(res.headers.get("x-mirror-scope")).toBeNull();
  });
});
