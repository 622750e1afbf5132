import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalArgyleServer, startLocalArgyle } from "../../../scripts/lib/common/local-argyle-server.ts";
import { verifySignature } from "../../../src/domain/signature.ts";
import type { Gig } from "../../../src/local-argyle/model.ts";

let argyle: LocalArgyleServer;
let auth: string;

beforeAll(async () => {
  argyle = await startLocalArgyle({ port: 0, seed: 11, accounts: [{ gigs: 23 }, { gigs: 5 }] });
  auth = `Basic ${btoa(`${argyle.credentials.keyId}:${argyle.credentials.keySecret}`)}`;
});

afterAll(() => argyle.close());

describe("startLocalArgyle (real HTTP on an ephemeral port)", () => {
  it("serves the API at url and links pages on the same origin", async () => {
    expect(argyle.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2$/);
    expect(argyle.url).toBe(`${argyle.origin}/v2`);
    const account = argyle.store.accounts()[0]?.id as string;
    const seen: string[] = [];
    let next: string | null = `${argyle.url}/gigs?account=${account}&limit=10`;
    while (next) {
      expect(next.startsWith(argyle.origin)).toBe(true);
      const response: Response = await fetch(next, { headers: { authorization: auth } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { next: string | null; results: Gig[] };
      seen.push(...body.results.map((g) => g.id));
      next = body.next;
    }
    expect(seen).toEqual(argyle.store.gigsOf(account).map((g) => g.id));
  });

  it("lets a client time out of a hanging request, and still closes promptly", async () => {
    const local = await startLocalArgyle({ faults: { timeoutRate: 1, hangMs: 60_000 } });
    const gigUrl = `${local.url}/gigs/${local.store.gigsOf(local.store.accounts()[0]?.id as string)[0]?.id}`;
    const started = Date.now();
    await expect(
      fetch(gigUrl, { headers: { authorization: auth }, signal: AbortSignal.timeout(150) }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
    // One more left hanging: close() must not wait for it.
    const orphan = fetch(gigUrl, { headers: { authorization: auth } }).catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 50));
    const closing = Date.now();
    await local.close();
    expect(Date.now() - closing).toBeLessThan(2000);
    expect(await orphan).toBeInstanceOf(Error);
    expect(local.stats.snapshot().faults).toEqual({ timeout: 2 });
  });

  it("delivers a signed webhook that a receiving server can verify", async () => {
    const deliveries: { verified: boolean; event: string }[] = [];
    const receiver = createServer((req, res) => {
      void readBody(req).then(async (body) => {
        const verified = await verifySignature(["hook-secret"], body, req.headers["x-argyle-signature"] as string);
        deliveries.push({ verified, event: JSON.parse(new TextDecoder().decode(body)).event });
        res.writeHead(verified ? 202 : 401).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const port = (receiver.address() as AddressInfo).port;
      const created = await fetch(`${argyle.url}/webhooks`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify({
          name: "mirror",
          url: `http://127.0.0.1:${port}/webhooks/argyle`,
          events: ["gigs.removed"],
          secret: "hook-secret",
        }),
      });
      expect(created.status).toBe(200);
      const mutated = await fetch(`${argyle.origin}/_local/mutate`, {
        method: "POST",
        body: JSON.stringify({ action: "remove", count: 2 }),
      });
      const result = (await mutated.json()) as { gig_ids: string[]; deliveries: { status: number }[] };
      expect(result.deliveries.map((d) => d.status)).toEqual([202]);
      expect(deliveries).toEqual([{ verified: true, event: "gigs.removed" }]);
      const gone = await fetch(`${argyle.url}/gigs/${result.gig_ids[0]}`, { headers: { authorization: auth } });
      expect(gone.status).toBe(404);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on("error", reject);
  });
}
