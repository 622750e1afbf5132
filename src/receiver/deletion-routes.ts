/**
 * DELETE /api/accounts/{id} and DELETE /api/users/{id}: the lender's own deletion obligations.
 * Idempotent; each answers with what was deleted so far (202 while the purge runs, 200 once it is
 * complete) and is written to the audit log with the token's role.
 * @module
 */
import { Hono } from "hono";
import { type AccountDeletion, deleteAccount, deleteUser } from "../domain/lifecycle/delete-request.ts";
import type { ReceiverBindings } from "./env.ts";
import { errorResponse } from "./errors.ts";
import { pathId } from "./list-query.ts";

export const deletionRoutes = new Hono<ReceiverBindings>();

deletionRoutes.delete("/accounts/:id", async (c) => {
  const id = pathId(c);
  if (id === null) return errorResponse(c, 404, "not_found", "No account has this id.");
  const result = await deleteAccount({ db: c.env.DB, jobs: c.env.JOBS, bindings: c.env }, id, c.get("tokenRole"));
  if (result.outcome === "not_found")
    return errorResponse(c, 404, "not_found", "The mirror holds nothing of this account.");
  return c.json(view(result), result.outcome === "deleted" ? 200 : 202);
});

deletionRoutes.delete("/users/:id", async (c) => {
  const id = pathId(c);
  if (id === null) return errorResponse(c, 404, "not_found", "No user has this id.");
  const result = await deleteUser({ db: c.env.DB, jobs: c.env.JOBS, bindings: c.env }, id, c.get("tokenRole"));
  if (result.accounts.length === 0)
    return errorResponse(c, 404, "not_found", "The mirror holds no account of this user.");
  const accounts = result.accounts.map(view);
  const done = accounts.every((a) => a.status === "deleted");
  return c.json({ status: done ? "deleted" : "scheduled", user: id, accounts }, done ? 200 : 202);
});

function view(result: AccountDeletion) {
  if (result.outcome === "not_found") return { status: "not_found" as const, account: result.account };
  const p = result.purge;
  return {
    status: result.outcome,
    account: result.account,
    user: p.user,
    reason: p.reason,
    requested_at: p.requested_at,
    completed_at: p.completed_at,
    deleted: { gigs: p.gigs_deleted, events: p.events_deleted, bodies: p.bodies_deleted, failures: p.failures_deleted },
  };
}
