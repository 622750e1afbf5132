/**
 * /_local: the local Argyle's control API for dev runs, tests and benchmarks (no auth; never
 * exposed anywhere real). Inspect accounts and stats, set fault knobs, trigger refreshes.
 * @module
 */
import { type Context, Hono } from "hono";
import type { DeliveryDeps } from "./delivery.ts";
import { type Faults, parseFaultInput } from "./faults.ts";
import { type MutateRequest, mutate } from "./mutate.ts";
import { MutationError } from "./store.ts";

export interface ControlDeps extends DeliveryDeps {
  faults: Faults;
}

export function controlRoutes(deps: ControlDeps): Hono {
  const { store, stats, faults } = deps;
  const routes = new Hono();

  routes.get("/accounts", (c) =>
    c.json({
      accounts: store.accounts().map((account) => {
        const { available_from, available_to, available_count } = store.availability(account.id);
        return { ...account, gigs: available_count, available_from, available_to };
      }),
    }),
  );

  routes.get("/stats", (c) => c.json(stats.snapshot()));
  routes.post("/stats/reset", (c) => {
    stats.reset();
    return c.json(stats.snapshot());
  });

  routes.get("/faults", (c) => c.json(faults.settings));
  routes.put("/faults", async (c) => {
    const body = await readJson(c);
    if (body === INVALID) return c.json({ issues: ["body is not JSON"] }, 400);
    const parsed = parseFaultInput(body);
    if ("issues" in parsed) return c.json({ issues: parsed.issues }, 400);
    return c.json(faults.replace(parsed.settings));
  });

  routes.post("/mutate", async (c) => {
    const body = await readJson(c);
    if (body === INVALID) return c.json({ issues: ["body is not JSON"] }, 400);
    try {
      return c.json(await mutate(deps, body as MutateRequest));
    } catch (error) {
      if (error instanceof MutationError) return c.json({ issues: [error.message] }, 400);
      throw error;
    }
  });

  return routes;
}

const INVALID = Symbol("invalid JSON");

/** The JSON body; an empty body counts as `{}`. */
async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}
