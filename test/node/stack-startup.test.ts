/**
 * `npm run dev` on a fresh database must not answer before its migrations are applied: the first
 * webhook would get 503 "no such table" and /health would be asked too early. This polls the
 * requested port for the whole startup and checks that every answer it got came from a migrated
 * stack (on the old startup order, /health answered 503 "no migration is applied" in between).
 */
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../scripts/lib/common/stack.ts";

/** A port free right now (the OS picks it; the listener is closed again at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

let stack: Stack | undefined;
afterAll(() => stack?.dispose());

describe("startStack", () => {
  it("accepts connections on the requested port only once the migrations are applied", async () => {
    const port = await freePort();
    const answers: number[] = [];
    let starting = true;
    const poll = (async () => {
      while (starting) {
        try {
          answers.push((await fetch(`http://127.0.0.1:${port}/health`)).status);
        } catch {
          // Refused: nothing listens yet, which is what startup should look like.
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    try {
      stack = await startStack({ port, consumer: false });
    } finally {
      starting = false;
      await poll;
    }
    expect(stack.url).toBe(`http://127.0.0.1:${port}`);
    expect(answers.filter((status) => status !== 200)).toEqual([]);
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
  });
});
