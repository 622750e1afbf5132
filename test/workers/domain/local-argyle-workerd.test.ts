import { describe, expect, it } from "vitest";
import { verifySignature } from "../../../src/domain/signature.ts";
import { basicAuthHeader, createLocalArgyle } from "../../../src/local-argyle/app.ts";

describe("local Argyle inside workerd", () => {
  it("serves gigs and delivers a signed webhook with Web APIs only", async () => {
    const bodies: { body: Uint8Array<ArrayBuffer>; signature: string | null }[] = [];
    const argyle = createLocalArgyle({
      seed: 1,
      accounts: [{ gigs: 30 }],
      deliver: async (request) => {
        bodies.push({
          body: new Uint8Array(await request.arrayBuffer()),
          signature: request.headers.get("x-argyle-signature"),
        });
        return new Response(null, { status: 202 });
      },
    });
    const headers = { authorization: basicAuthHeader(argyle.credentials) };
    const page = await argyle.app.request("http://argyle.test/v2/gigs?limit=20", { headers });
    expect(page.status).toBe(200);
    const body = (await page.json()) as { next: string; results: unknown[] };
    expect(body.results).toHaveLength(20);
    const rest = await argyle.app.request(body.next, { headers });
    expect(((await rest.json()) as { results: unknown[] }).results).toHaveLength(10);

    await argyle.app.request("http://argyle.test/v2/webhooks", {
      method: "POST",
      headers,
      body: JSON.stringify({ name: "w", url: "https://r.test/", events: ["gigs.updated"], secret: "s" }),
    });
    const result = await argyle.mutate({ action: "update", count: 2 });
    expect(result.deliveries.map((d) => d.status)).toEqual([202]);
    const [delivered] = bodies;
    expect(delivered && (await verifySignature(["s"], delivered.body, delivered.signature))).toBe(true);
  });
});
