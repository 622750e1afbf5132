import { describe, expect, it } from "vitest";
import { ARGYLE_ID_PATTERN } from "../../../src/domain/ids.ts";
import { buildDataset, DEFAULT_ACCOUNTS } from "../../../src/local-argyle/dataset.ts";
import type { Gig, Income } from "../../../src/local-argyle/model.ts";

const GIG_KEYS = [
  "id",
  "account",
  "employer",
  "created_at",
  "updated_at",
  "status",
  "type",
  "task_count",
  "start_datetime",
  "end_datetime",
  "all_datetimes",
  "duration",
  "timezone",
  "earning_type",
  "start_location",
  "end_location",
  "task_details",
  "distance",
  "distance_unit",
  "metadata",
  "circumstances",
  "income",
  "income_rates",
];
const DATETIME_KEYS = [
  "request_at",
  "accept_at",
  "pickup_at",
  "dropoff_at",
  "cancel_at",
  "shift_start",
  "shift_end",
  "breaks",
];
const INCOME_KEYS = ["currency", "total_charge", "customer_price", "fees", "total", "pay", "tips", "bonus", "other"];
const EVENT_KEYS = ["order_id", "sequence", "type", "name", "formatted_address", "lat", "lng", "datetime"];
const LOWER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MONEY = /^-?\d+\.\d{2}$/;
const COORD = /^-?\d+\.\d+$/;

const cents = (value: string | null) => (value === null ? 0 : Math.round(Number(value) * 100));

function expectMoneyOrNull(value: unknown) {
  if (value !== null) expect(value).toMatch(MONEY);
}

function expectIncome(income: Income) {
  expect(Object.keys(income)).toEqual(INCOME_KEYS);
  expect(income.currency).toMatch(/^[A-Z]{3}$/);
  expect(income.total).toMatch(MONEY);
  expect(income.pay).toMatch(MONEY);
  for (const key of ["total_charge", "customer_price", "fees", "tips", "bonus", "other"] as const) {
    expectMoneyOrNull(income[key]);
  }
  expect(cents(income.total)).toBe(cents(income.pay) + cents(income.tips) + cents(income.bonus) + cents(income.other));
}

/** Every documented field, with its documented type. */
function expectDocumentedGig(gig: Gig) {
  expect(Object.keys(gig)).toEqual(GIG_KEYS);
  expect(gig.id).toMatch(LOWER_ID);
  expect(gig.account).toMatch(LOWER_ID);
  expect(gig.employer).toEqual(expect.any(String));
  expect(gig.created_at).toMatch(MILLIS);
  expect(gig.updated_at).toMatch(MILLIS);
  expect(Date.parse(gig.updated_at)).toBeGreaterThanOrEqual(Date.parse(gig.created_at));
  expect(["scheduled", "in_progress", "completed", "cancelled"]).toContain(gig.status);
  expect(["delivery", "rideshare", "hourly", "services"]).toContain(gig.type);
  expect(Number.isInteger(gig.task_count)).toBe(true);
  expect(gig.start_datetime).toMatch(SECONDS);
  if (gig.end_datetime === null) expect(gig.status).toBe("in_progress");
  else {
    expect(gig.end_datetime).toMatch(SECONDS);
    expect(gig.duration).toBe((Date.parse(gig.end_datetime) - Date.parse(gig.start_datetime)) / 1000);
  }
  expect(Object.keys(gig.all_datetimes)).toEqual(DATETIME_KEYS);
  for (const key of DATETIME_KEYS.slice(0, -1)) {
    const value = gig.all_datetimes[key as keyof typeof gig.all_datetimes];
    if (value !== null) expect(value).toMatch(SECONDS);
  }
  const { breaks } = gig.all_datetimes;
  if (breaks !== null) for (const b of breaks) expect(Object.keys(b)).toEqual(["break_start", "break_end"]);
  expect(() => new Intl.DateTimeFormat("en", { timeZone: gig.timezone })).not.toThrow();
  expect(["offer", "work", "incentive", "adjustment", "other"]).toContain(gig.earning_type);
  for (const location of [gig.start_location, gig.end_location]) {
    if (location === null) continue;
    expect(Object.keys(location)).toEqual(["lat", "lng", "formatted_address"]);
    expect(location.lat).toMatch(COORD);
    expect(location.lng).toMatch(COORD);
    expect(location.formatted_address.length).toBeGreaterThan(10);
  }
  expect(Object.keys(gig.task_details)).toEqual(["events", "orders"]);
  gig.task_details.events.forEach((event, i) => {
    expect(Object.keys(event)).toEqual(EVENT_KEYS);
    expect(event.sequence).toBe(String(i + 1));
    expect(["request", "accept", "pickup", "dropoff", "other", "cancel"]).toContain(event.type);
  });
  for (const order of gig.task_details.orders) {
    expect(Object.keys(order)).toEqual(["order_id", "sequence", "income"]);
    expectIncome(order.income);
  }
  if (gig.task_details.orders.length > 0) {
    // Orders split the gig's money exactly.
    for (const key of ["pay", "tips", "bonus", "other", "total"] as const) {
      const sum = gig.task_details.orders.reduce((n, o) => n + cents(o.income[key]), 0);
      expect(sum).toBe(cents(gig.income[key]));
    }
  }
  expectMoneyOrNull(gig.distance);
  expect(gig.distance_unit === null).toBe(gig.distance === null);
  if (gig.distance_unit !== null) expect(["miles", "km"]).toContain(gig.distance_unit);
  expect(gig.metadata).toEqual(expect.any(Object));
  expect(gig.circumstances).toEqual(expect.any(Object));
  expectIncome(gig.income);
  expect(Object.keys(gig.income_rates)).toEqual(["hour", "mile"]);
  expectMoneyOrNull(gig.income_rates.hour);
  expectMoneyOrNull(gig.income_rates.mile);
}

describe("buildDataset", () => {
  it("builds the same objects from the same seed, and others from another seed", () => {
    const a = buildDataset({ seed: 42, accounts: [{ gigs: 30 }, { gigs: 5 }] });
    const b = buildDataset({ seed: 42, accounts: [{ gigs: 30 }, { gigs: 5 }] });
    const c = buildDataset({ seed: 43, accounts: [{ gigs: 30 }, { gigs: 5 }] });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(c.accounts[0]?.account.id).not.toBe(a.accounts[0]?.account.id);
    expect(c.accounts[0]?.gigs.map((g) => g.id)).not.toEqual(a.accounts[0]?.gigs.map((g) => g.id));
  });

  it("keeps an account's gigs when other accounts are added after it", () => {
    const one = buildDataset({ seed: "s", accounts: [{ gigs: 20 }] });
    const two = buildDataset({ seed: "s", accounts: [{ gigs: 20 }, { gigs: 300 }] });
    expect(two.accounts[0]).toEqual(one.accounts[0]);
  });

  it("has three accounts of 12, 60 and 450 gigs by default", () => {
    const { accounts } = buildDataset();
    expect(accounts.map((a) => a.gigs.length)).toEqual([12, 60, 450]);
    expect(DEFAULT_ACCOUNTS).toHaveLength(3);
    for (const { account, gigs } of accounts) {
      expect(account.id).toMatch(ARGYLE_ID_PATTERN);
      expect(account.user).toMatch(ARGYLE_ID_PATTERN);
      expect(gigs.every((g) => g.account === account.id && g.employer === account.employer)).toBe(true);
    }
  });

  it("gives every gig every documented field with the documented type", () => {
    const { accounts } = buildDataset({
      seed: 3,
      accounts: [{ gigs: 400 }, { gigs: 400 }, { gigs: 400 }, { gigs: 400 }],
    });
    for (const { gigs } of accounts) for (const gig of gigs) expectDocumentedGig(gig);
  });

  it("has the nulls and variety real data has", () => {
    const gigs = buildDataset({
      seed: 3,
      accounts: [{ gigs: 400 }, { gigs: 400 }, { gigs: 400 }, { gigs: 400 }],
    }).accounts.flatMap((a) => a.gigs);
    const some = (test: (g: Gig) => boolean) => gigs.some(test);
    expect(some((g) => g.income.tips === null)).toBe(true);
    expect(some((g) => g.income.tips !== null && g.income.tips !== "0.00")).toBe(true);
    expect(some((g) => g.all_datetimes.cancel_at !== null && g.status === "cancelled")).toBe(true);
    expect(some((g) => g.all_datetimes.breaks === null)).toBe(true);
    expect(some((g) => Array.isArray(g.all_datetimes.breaks) && g.all_datetimes.breaks.length === 0)).toBe(true);
    expect(some((g) => (g.all_datetimes.breaks?.length ?? 0) > 0)).toBe(true);
    expect(some((g) => g.income_rates.hour === null)).toBe(true);
    expect(some((g) => g.income_rates.hour !== null)).toBe(true);
    expect(some((g) => g.circumstances.position === null)).toBe(true);
    expect(some((g) => g.task_count > 1)).toBe(true);
    expect(some((g) => g.earning_type === "incentive")).toBe(true);
    expect(some((g) => "income.other" in g.metadata)).toBe(true);
    expect(some((g) => g.distance_unit === "km")).toBe(true);
    expect(new Set(gigs.map((g) => g.type))).toEqual(new Set(["delivery", "rideshare", "hourly", "services"]));
  });

  it("makes IDs unique, lowercase and UUID-shaped, without RFC 4122 version bits", () => {
    const { accounts } = buildDataset({ seed: 9, accounts: [{ gigs: 3000 }, { gigs: 3000 }] });
    const ids = accounts.flatMap((a) => [a.account.id, a.account.user, ...a.gigs.map((g) => g.id)]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(LOWER_ID);
    // Argyle's IDs ignore the version nibble; so must a faithful fake (and so must clients).
    expect(new Set(ids.map((id) => id[14])).size).toBeGreaterThan(4);
  });

  it("orders each account's gigs by start, then ID, with some shared start times", () => {
    const gigs = buildDataset({ seed: 5, accounts: [{ gigs: 2000 }] }).accounts[0]?.gigs ?? [];
    let ties = 0;
    for (let i = 1; i < gigs.length; i++) {
      const [a, b] = [gigs[i - 1] as Gig, gigs[i] as Gig];
      expect(a.start_datetime <= b.start_datetime).toBe(true);
      if (a.start_datetime === b.start_datetime) {
        ties++;
        expect(a.id < b.id).toBe(true);
      }
    }
    expect(ties).toBeGreaterThan(5);
  });

  it("starts every gig within `days` before `until`", () => {
    const until = "2025-01-01T00:00:00Z";
    const gigs = buildDataset({ until, accounts: [{ gigs: 200, days: 10 }] }).accounts[0]?.gigs ?? [];
    expect(gigs.every((g) => g.start_datetime < until)).toBe(true);
    // `days: 10` spans ten days back from `until`.
    expect((gigs[0]?.start_datetime ?? "") >= "2024-12-22T00:00:00Z").toBe(true);
  });

  it("builds an account of 10,000 gigs in well under a second", () => {
    const started = performance.now();
    const { accounts } = buildDataset({ seed: "bench", accounts: [{ gigs: 10_000 }] });
    expect(accounts[0]?.gigs).toHaveLength(10_000);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("refuses an unknown employer", () => {
    expect(() => buildDataset({ accounts: [{ gigs: 1, employer: "Nope" }] })).toThrow(/unknown employer/);
  });
});
