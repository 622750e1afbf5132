/**
 * /v2/webhooks: create (200, not 201), list, get and delete (204) subscriptions, with Argyle's
 * validation errors and list shape.
 * @module
 */
import { Hono } from "hono";
import * as v from "valibot";
import { encodeCursor } from "./cursor.ts";
import { detail, methodNotAllowed, NOT_FOUND } from "./http.ts";
import { NullableMs, type ParamErrors, parseDatetimeParam, parseListRequest } from "./list-params.ts";
import type { Webhook } from "./model.ts";
import { compareKeys, keysetPage, type Ordering, type Position, type SortKey } from "./pagination.ts";
import type { ArgyleStore } from "./store.ts";
import { validateWebhookInput } from "./webhook-registry.ts";

const ORDERINGS = ["created_at", "-created_at", "id", "-id"] as const;
type WebhookOrdering = (typeof ORDERINGS)[number];

const WebhookQuerySchema = v.object({ ordering: v.picklist(ORDERINGS), from: NullableMs, to: NullableMs });
type WebhookQuery = v.InferOutput<typeof WebhookQuerySchema>;

function parseWebhookQuery(params: URLSearchParams, errors: ParamErrors): WebhookQuery {
  const ordering = params.get("ordering");
  return {
    // DRF's OrderingFilter ignores fields it does not know rather than failing.
    ordering: ORDERINGS.includes(ordering as WebhookOrdering) ? (ordering as WebhookOrdering) : "created_at",
    from: parseDatetimeParam(params, "from_created_at", errors),
    to: parseDatetimeParam(params, "to_created_at", errors),
  };
}

function orderingOf(ordering: WebhookOrdering): Ordering<Webhook> {
  const byId = ordering.endsWith("id");
  const sign = ordering.startsWith("-") ? -1 : 1;
  return {
    keyOf: (w): SortKey => [byId ? w.id : Date.parse(w.created_at), w.id],
    compare: (a, b) => sign * compareKeys(a, b),
  };
}

export function webhookRoutes(store: ArgyleStore): Hono {
  const routes = new Hono();

  routes.post("/", async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch (error) {
      return detail(c, 400, `JSON parse error - ${error instanceof Error ? error.message : "invalid JSON"}`);
    }
    const result = validateWebhookInput(body);
    if ("errors" in result) return c.json(result.errors, 400);
    return c.json(store.webhooks.create(result.input, store.now()), 200);
  });

  routes.get("/", (c) => {
    const parsed = parseListRequest("webhooks", new URL(c.req.url).searchParams, WebhookQuerySchema, parseWebhookQuery);
    if ("errors" in parsed) return c.json(parsed.errors, 400);
    const { query, limit, position } = parsed.ok;
    const ordering = orderingOf(query.ordering);
    const items = store.webhooks
      .all()
      .filter((w) => {
        const ms = Date.parse(w.created_at);
        return (query.from === null || ms >= query.from) && (query.to === null || ms <= query.to);
      })
      .sort((a, b) => ordering.compare(ordering.keyOf(a), ordering.keyOf(b)));
    const page = keysetPage([{ items, lo: 0, hi: items.length }], ordering, position, limit);
    const url = new URL(c.req.url);
    const base = `${url.origin}${url.pathname.replace(/\/$/, "")}`;
    const link = (p: Position | null) =>
      p ? `${base}?cursor=${encodeCursor("webhooks", { query, limit, position: p })}` : null;
    return c.json({ next: link(page.next), previous: link(page.previous), results: page.items });
  });

  routes.get("/:id", (c) => {
    const webhook = store.webhooks.get(c.req.param("id").toLowerCase());
    return webhook ? c.json(webhook) : detail(c, 404, NOT_FOUND);
  });

  routes.delete("/:id", (c) => {
    if (!store.webhooks.delete(c.req.param("id").toLowerCase())) return detail(c, 404, NOT_FOUND);
    return c.body(null, 204);
  });

  routes.all("/", methodNotAllowed);
  routes.all("/:id", methodNotAllowed);
  return routes;
}
