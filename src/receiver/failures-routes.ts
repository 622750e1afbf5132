/**
 * Dead-lettered work: GET /api/failures (filters `status`, `account`) and POST
 * /api/failures/{id}/retry, which re-enqueues exactly the failure's job and marks it redriven.
 * @module
 */
import { Hono } from "hono";
import { auditStatement } from "../domain/lifecycle/audit.ts";
import { FAILURE_LIST } from "../domain/ops-list-params.ts";
import { redriveFailure } from "../domain/redrive.ts";
import { listFailures } from "../domain/storage/failures.ts";
import type { ReceiverBindings } from "./env.ts";
import { errorResponse } from "./errors.ts";
import { opsPage, parseOpsList, pathId } from "./list-query.ts";

export const failuresRoutes = new Hono<ReceiverBindings>();

failuresRoutes.get("/", async (c) => {
  const request = parseOpsList(c, FAILURE_LIST);
  const page = await listFailures(c.env.DB, request);
  return c.json(opsPage(c, FAILURE_LIST, request, page, (row) => row.id));
});

failuresRoutes.post("/:id/retry", async (c) => {
  const id = pathId(c);
  if (id === null) return errorResponse(c, 404, "not_found", "No failure has this id.");
  // Audited before it runs: no redrive happens without its row (a D1 failure answers 503).
  await auditStatement(c.env.DB, { action: "redrive", tokenRole: c.get("tokenRole"), target: id }).run();
  const result = await redriveFailure({ db: c.env.DB, jobs: c.env.JOBS }, id);
  switch (result.outcome) {
    case "not_found":
      return errorResponse(c, 404, "not_found", "No failure has this id.");
    case "already_redriven":
      return errorResponse(c, 409, "already_redriven", `This failure was redriven at ${result.redrivenAt}.`);
    case "invalid_job": {
      const detail = result.issues.map((i) => `${i.path || "job"}: ${i.message}`).join("; ");
      return errorResponse(c, 422, "invalid_job", `The stored job no longer matches the job schema (${detail}).`);
    }
    case "redriven":
      return c.json({ status: "redriven", id, job_id: result.jobId, redriven_at: result.redrivenAt }, 202);
  }
});
