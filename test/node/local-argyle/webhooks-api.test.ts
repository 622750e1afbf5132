import { describe, expect, it } from "vitest";
import type { Webhook } from "../../../src/local-argyle/model.ts";
import { CONFIG_EVENTS } from "../../../src/local-argyle/webhook-registry.ts";
import { allPages, call, type ListBody, localArgyle } from "./helpers.ts";

function create(argyle: ReturnType<typeof localArgyle>, body: unknown): Promise<Response> {
  return call(argyle, "/v2/webhooks", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const VALID = { events: ["gigs.added", "gigs.updated"], name: "mirror", url: "https://receiver.test/webhooks/argyle" };

describe("POST /v2/webhooks", () => {
  it("creates a subscription and answers 200 with the Webhook object", async () => {
    const argyle = localArgyle();
    const response = await create(argyle, { ...VALID, secret: "s3cret" });
    expect(response.status).toBe(200);
    const webhook = (await response.json()) as Webhook;
    expect(Object.keys(webhook)).toEqual([
      "id",
      "name",
      "events",
      "config",
      "secret",
      "url",
      "created_at",
      "updated_at",
      "last_sent_at",
    ]);
    expect(webhook).toMatchObject({ ...VALID, config: {}, secret: "s3cret", last_sent_at: null });
    expect(webhook.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(webhook.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(argyle.store.webhooks.get(webhook.id)).toEqual(webhook);
  });

  it("stores no secret as null, and config for the events that allow it", async () => {
    const argyle = localArgyle();
    const body = {
      events: ["gigs.partially_synced"],
      name: "p",
      url: "http://localhost:8787/x",
      config: { days_synced: 60 },
    };
    const webhook = (await (await create(argyle, body)).json()) as Webhook;
    expect(webhook.secret).toBeNull();
    expect(webhook.config).toEqual({ days_synced: 60 });
    const all = { events: [...CONFIG_EVENTS], name: "all", url: "https://r.test", config: { include_resource: true } };
    expect((await create(argyle, all)).status).toBe(200);
  });

  it("refuses config unless every event accepts it", async () => {
    const argyle = localArgyle();
    for (const events of [["gigs.added"], ["gigs.partially_synced", "gigs.updated"], ["*"]]) {
      const response = await create(argyle, { ...VALID, events, config: { days_synced: 10 } });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { config: string[] };
      expect(Object.keys(body)).toEqual(["config"]);
      expect(body.config[0]).toMatch(/^only allowed for accounts\.added, .*gigs\.partially_synced/);
    }
    expect(argyle.store.webhooks.all()).toEqual([]);
  });

  it("answers missing and invalid fields DRF-style, all at once", async () => {
    const argyle = localArgyle();
    const cases: [unknown, unknown][] = [
      [
        {},
        { events: ["This field is required."], name: ["This field is required."], url: ["This field is required."] },
      ],
      [{ ...VALID, name: "" }, { name: ["This field may not be blank."] }],
      [{ ...VALID, url: "not a url" }, { url: ["Enter a valid URL."] }],
      [{ ...VALID, events: [] }, { events: ["This list may not be empty."] }],
      [{ ...VALID, events: "gigs.added" }, { events: ['Expected a list of items but got type "str".'] }],
      [{ ...VALID, events: ["gigs.added", "gigs.nope"] }, { events: { "1": ['"gigs.nope" is not a valid choice.'] } }],
      [{ ...VALID, secret: 5 }, { secret: ["Not a valid string."] }],
      [
        { ...VALID, events: ["gigs.partially_synced"], config: { days_synced: "x" } },
        { config: { days_synced: ["A valid integer is required."] } },
      ],
      [[], { non_field_errors: ["Invalid data. Expected a dictionary, but got list."] }],
    ];
    for (const [body, errors] of cases) {
      const response = await create(argyle, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await response.json()).toEqual(errors);
    }
    const broken = await create(argyle, "{not json");
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { detail: string }).detail).toMatch(/^JSON parse error/);
  });
});

describe("GET, DELETE /v2/webhooks", () => {
  it("gets one, deletes it with 204 and no body, then answers 404", async () => {
    const argyle = localArgyle();
    const created = (await (await create(argyle, VALID)).json()) as Webhook;
    const got = await call(argyle, `/v2/webhooks/${created.id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(created);

    const deleted = await call(argyle, `/v2/webhooks/${created.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");

    for (const method of ["GET", "DELETE"]) {
      const gone = await call(argyle, `/v2/webhooks/${created.id}`, { method });
      expect(gone.status).toBe(404);
      expect(await gone.json()).toEqual({ detail: "Not found." });
    }
  });

  it("lists subscriptions in pages of `limit` (default 10) with cursor links", async () => {
    const argyle = localArgyle();
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      ids.push(((await (await create(argyle, { ...VALID, name: `w${i}` })).json()) as Webhook).id);
    }
    const first = (await (await call(argyle, "/v2/webhooks")).json()) as ListBody<Webhook>;
    expect(first.results).toHaveLength(10);
    expect(first.previous).toBeNull();
    expect(first.next).toMatch(/^http:\/\/argyle\.test\/v2\/webhooks\?cursor=/);

    const pages = await allPages<Webhook>(argyle, "/v2/webhooks?limit=7");
    expect(pages.map((p) => p.results.length)).toEqual([7, 7, 7, 2]);
    expect(pages.flatMap((p) => p.results.map((w) => w.id))).toEqual(ids);

    const newest = (await (
      await call(argyle, "/v2/webhooks?ordering=-created_at&limit=1")
    ).json()) as ListBody<Webhook>;
    expect(newest.results[0]?.id).toBe(ids.at(-1));
    const tooMany = await call(argyle, "/v2/webhooks?limit=201");
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({ limit: ["Ensure this value is less than or equal to 200."] });
  });

  it("answers a method the route does not have with 405", async () => {
    const argyle = localArgyle();
    const response = await call(argyle, "/v2/webhooks", { method: "PUT" });
    expect(response.status).toBe(405);
    expect(await response.json()).toEqual({ detail: 'Method "PUT" not allowed.' });
  });
});
