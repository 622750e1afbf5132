import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliFailure } from "../../../scripts/lib/common/cli-errors.ts";
import { localArgyleSource } from "../../../scripts/lib/common/local-argyle-client.ts";
import { type LocalArgyleServer, startLocalArgyle } from "../../../scripts/lib/common/local-argyle-server.ts";
import { parseSendArgs, type SendPlan } from "../../../scripts/lib/send/args.ts";
import { tamperSignature, webhookHeaders } from "../../../scripts/lib/send/signed-webhook.ts";
import { resolveTarget } from "../../../scripts/lib/send/target.ts";
import { buildPayload, type Envelope } from "../../../scripts/lib/send/webhook-payloads.ts";
import { verifySignature } from "../../../src/domain/signature.ts";
import { parseWebhook } from "../../../src/domain/webhook-schema.ts";
import { compareGigs } from "../../../src/local-argyle/dataset.ts";
import { closedPort } from "./helpers.ts";

let argyle: LocalArgyleServer;
let first: string;
let second: string;

beforeAll(async () => {
  argyle = await startLocalArgyle({ seed: 5, accounts: [{ gigs: 25 }, { gigs: 240 }] });
  [first, second] = argyle.store.accounts().map((a) => a.id) as [string, string];
});

afterAll(() => argyle.close());

function plan(argv: string[], origin = argyle.origin): SendPlan {
  const command = parseSendArgs([...argv, "--argyle", origin], {});
  if (command.kind !== "send") throw new Error("expected a send command");
  return command.plan;
}

/** The payload `send` would POST for `argv`, with the notes it would print. */
async function payload(argv: string[], origin?: string): Promise<{ envelope: Envelope; notes: string[] }> {
  const p = plan(argv, origin);
  const target = await resolveTarget(p, localArgyleSource(p.argyle));
  return { envelope: buildPayload(p.event, target), notes: target.notes };
}

const BASE_KEYS = ["account", "user", "available_from", "available_to", "available_count"];

/** The body parses as the receiver parses it: a valid gig event (or a recorded non-gig one). */
/** The account's gigs oldest first (the local Argyle lists newest first, as Argyle does). */
function chronological(account: string) {
  return [...argyle.store.gigsOf(account)].sort(compareGigs);
}

function receiverKind(envelope: Envelope): string {
  return parseWebhook(new TextEncoder().encode(JSON.stringify(envelope))).kind;
}

describe("npm run send: payloads built from the local Argyle's data", () => {
  it("gigs.updated names the account's newest gigs, in Argyle's field order and figures", async () => {
    const { envelope } = await payload(["gigs.updated"]);
    const gigs = chronological(first).slice(-2);
    expect(envelope.event).toBe("gigs.updated");
    expect(envelope.name).toBe("argyle-gig-mirror");
    expect(Object.keys(envelope.data)).toEqual([
      ...BASE_KEYS,
      "updated_count",
      "updated_gigs",
      "updated_from",
      "updated_to",
    ]);
    expect(envelope.data).toEqual({
      ...argyle.store.availability(first),
      updated_count: 2,
      updated_gigs: gigs.map((g) => g.id),
      updated_from: gigs[0]?.start_datetime,
      updated_to: gigs[1]?.start_datetime,
    });
    expect(receiverKind(envelope)).toBe("gig");
  });

  it("gigs.removed with --ids finds their account and window without --account", async () => {
    const all = chronological(second);
    const [late, early] = [all[200], all[3]] as [(typeof all)[0], (typeof all)[0]];
    const { envelope } = await payload(["gigs.removed", "--ids", `${late.id},${early.id}`]);
    expect(Object.keys(envelope.data)).toEqual([
      ...BASE_KEYS,
      "removed_count",
      "removed_gigs",
      "removed_from",
      "removed_to",
    ]);
    expect(envelope.data).toMatchObject({
      account: second,
      user: argyle.store.account(second)?.user,
      available_count: 240,
      removed_count: 2,
      removed_gigs: [late.id, early.id],
      removed_from: early.start_datetime,
      removed_to: late.start_datetime,
    });
    expect(receiverKind(envelope)).toBe("gig");
  });

  it("gigs.added reports the window of the --count newest gigs, every gig in it counted", async () => {
    const { envelope } = await payload(["gigs.added", "--account", second, "--count", "30"]);
    const all = chronological(second);
    const from = all.at(-30)?.start_datetime as string;
    const inWindow = all.filter((g) => Date.parse(g.start_datetime) >= Date.parse(from));
    expect(Object.keys(envelope.data)).toEqual([...BASE_KEYS, "added_count", "added_from", "added_to"]);
    expect(envelope.data).toMatchObject({
      available_count: 240,
      added_count: inWindow.length,
      added_from: from,
      added_to: all.at(-1)?.start_datetime,
    });
    expect(inWindow.length).toBeGreaterThanOrEqual(30);
    expect(receiverKind(envelope)).toBe("gig");
  });

  it("gigs.partially_synced and gigs.fully_synced say exactly what the local Argyle itself would send", async () => {
    const partial = await payload(["gigs.partially_synced", "--account", second]);
    expect(partial.envelope.data).toEqual(argyle.store.partiallySynced(second, 30).data);
    expect(partial.envelope.data.available_count).toBeLessThan(240);
    const full = await payload(["gigs.fully_synced", "--account", second]);
    expect(full.envelope.data).toEqual(argyle.store.fullySynced(second).data);
    expect(receiverKind(partial.envelope)).toBe("gig");
    expect(receiverKind(full.envelope)).toBe("gig");
  });

  it("accounts.removed carries only the account and its user, as Argyle documents", async () => {
    const { envelope } = await payload(["accounts.removed"]);
    expect(envelope).toEqual({
      event: "accounts.removed",
      name: "argyle-gig-mirror",
      data: { account: first, user: argyle.store.account(first)?.user },
    });
  });

  it("accounts.connected carries only the account and its user", async () => {
    const { envelope } = await payload(["accounts.connected"]);
    expect(envelope).toEqual({
      event: "accounts.connected",
      name: "argyle-gig-mirror",
      data: { account: first, user: argyle.store.account(first)?.user },
    });
    expect(receiverKind(envelope)).toBe("other");
  });

  it("caps --count at the gigs the account has, and says so", async () => {
    const { envelope, notes } = await payload(["gigs.updated", "--count", "500"]);
    expect(envelope.data.updated_count).toBe(25);
    expect(notes).toContain("the account has only 25 gigs; sending all of them");
  });

  it("without a reachable local Argyle, refuses to guess an account and points at npm run dev", async () => {
    const origin = `http://127.0.0.1:${await closedPort()}`;
    const attempt = payload(["gigs.updated"], origin);
    await expect(attempt).rejects.toThrow(CliFailure);
    await expect(attempt).rejects.toThrow(/cannot reach the local Argyle at .*npm run dev.*--account \(and --ids\)/);
    await expect(payload(["gigs.updated", "--account", first], origin)).rejects.toThrow(/pass --ids/);
  });

  it("without the local Argyle, --account and --ids still make a valid payload, with nulls it admits to", async () => {
    const origin = `http://127.0.0.1:${await closedPort()}`;
    const gig = argyle.store.gigsOf(first)[0]?.id as string;
    const { envelope, notes } = await payload(["gigs.updated", "--account", first, "--ids", gig], origin);
    expect(envelope.data).toMatchObject({
      account: first,
      available_from: null,
      available_count: null,
      updated_gigs: [gig],
      updated_from: null,
    });
    expect(notes.join("\n")).toMatch(/not reachable[\s\S]*are null[\s\S]*user .* is made up .*--user/);
    // The made-up user is stable, so repeated sends agree about it.
    const again = await payload(["gigs.updated", "--account", first, "--ids", gig], origin);
    expect(again.envelope.data.user).toBe(envelope.data.user);
    expect(receiverKind(envelope)).toBe("gig");
    const withUser = await payload(["accounts.connected", "--account", first, "--user", gig], origin);
    expect(withUser.envelope.data).toEqual({ account: first, user: gig });
  });
});

describe("npm run send: signatures", () => {
  it("signs the exact body so the receiver's verifySignature accepts it", async () => {
    const body = JSON.stringify((await payload(["gigs.updated"])).envelope);
    const headers = await webhookHeaders(body, "hook-secret");
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["X-Argyle-Signature"]).toMatch(/^[0-9a-f]{128}$/);
    expect(await verifySignature(["hook-secret"], new TextEncoder().encode(body), headers["X-Argyle-Signature"])).toBe(
      true,
    );
    expect(await verifySignature(["other"], new TextEncoder().encode(body), headers["X-Argyle-Signature"])).toBe(false);
  });

  it("--tamper sends a well-formed signature that does not verify", async () => {
    const body = JSON.stringify((await payload(["gigs.removed"])).envelope);
    const honest = (await webhookHeaders(body, "hook-secret"))["X-Argyle-Signature"] as string;
    const tampered = (await webhookHeaders(body, "hook-secret", true))["X-Argyle-Signature"] as string;
    expect(tampered).toMatch(/^[0-9a-f]{128}$/);
    expect(tampered).not.toBe(honest);
    expect(await verifySignature(["hook-secret"], new TextEncoder().encode(body), tampered)).toBe(false);
    expect(tamperSignature(`${"a".repeat(127)}0`)).toBe(`${"a".repeat(127)}1`);
  });
});
