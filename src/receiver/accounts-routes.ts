/**
 * Per-account sync state: GET /api/accounts and GET /api/accounts/{id}. Argyle's count, what the
 * mirror holds (gigs stored, removed), backfill progress, last webhook and fetch, open failures,
 * and the gig shard holding the account. The list merges every shard's accounts in id order.
 * @module
 */
import { Hono } from "hono";
import { ACCOUNT_LIST } from "../domain/ops-list-params.ts";
import { listAccountsAcross, readAccount } from "../domain/shards/account-read.ts";
import type { ReceiverBindings } from "./env.ts";
import { errorResponse } from "./errors.ts";
import { opsPage, parseOpsList, pathId } from "./list-query.ts";

export const accountsRoutes = new Hono<ReceiverBindings>();

accountsRoutes.get("/", async (c) => {
  const request = parseOpsList(c, ACCOUNT_LIST);
  const page = await listAccountsAcross(c.env, c.env.DB, request);
  return c.json(opsPage(c, ACCOUNT_LIST, request, page, (row) => row.id));
});

accountsRoutes.get("/:id", async (c) => {
  const id = pathId(c);
  const account = id === null ? null : await readAccount(c.env, c.env.DB, id);
  if (!account) return errorResponse(c, 404, "not_found", "No account has this id.");
  return c.json(account);
});
