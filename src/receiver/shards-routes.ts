/**
 * Shard administration (admin token): moving an account to another gig shard and opening or
 * closing shards. Domain logic in domain/shards/move.ts and shard-admin.ts; every change is
 * audited in the transaction that makes it (D1 down → 503, nothing done).
 * @module
 */
import { Hono } from "hono";
import * as v from "valibot";
import { describeError } from "../domain/errors.ts";
import { newTimeOrderedId } from "../domain/ids.ts";
import { sendJobs } from "../domain/ingest.ts";
import { logError, logInfo } from "../domain/log.ts";
import { isShardBinding } from "../domain/shards/bindings.ts";
import { MoveRefused, readMove, startMove, viewMove } from "../domain/shards/move.ts";
import { moveJob } from "../domain/shards/move-job.ts";
import { listShards, ShardStatusRefused, setShardStatus } from "../domain/shards/shard-admin.ts";
import type { ReceiverBindings } from "./env.ts";
import { errorResponse, fail } from "./errors.ts";
import { pathId } from "./list-query.ts";

export const shardsRoutes = new Hono<ReceiverBindings>();

const MoveRequest = v.strictObject({
  to: v.pipe(v.string(), v.check(isShardBinding, "to must name a gig shard: SHARD_<n>")),
});
const StatusRequest = v.strictObject({ status: v.picklist(["open", "closed"], 'status must be "open" or "closed"') });

shardsRoutes.post("/accounts/:id/move", async (c) => {
  const account = pathId(c);
  if (account === null) return errorResponse(c, 404, "not_found", "No account has this id.");
  const { to } = await parseBody(c.req.raw, MoveRequest, '{"to": "SHARD_<n>"}');
  const nowMs = Date.now();
  let started: Awaited<ReturnType<typeof startMove>>;
  try {
    started = await startMove(c.env, account, to, `move-${newTimeOrderedId(nowMs)}`, c.get("tokenRole"), nowMs);
  } catch (error) {
    if (error instanceof MoveRefused) return errorResponse(c, error.status, error.code, error.message);
    throw error;
  }
  if (started.outcome === "started") {
    try {
      await sendJobs(c.env.JOBS, [moveJob(started.row, nowMs, "api")]);
      logInfo("move queued", { account, to });
    } catch (error) {
      // The directory holds the move: the cron revives it once it shows no progress (15 minutes).
      logError("move not queued; the cron will start it", { account, error: describeError(error) });
    }
  }
  return c.json(viewMove(started.row), 202);
});

shardsRoutes.get("/accounts/:id/move", async (c) => {
  const account = pathId(c);
  if (account === null) return errorResponse(c, 404, "not_found", "No account has this id.");
  const row = await readMove(c.env.DB, account);
  if (!row) return errorResponse(c, 404, "not_found", "The directory has no such account.");
  return c.json(viewMove(row));
});

shardsRoutes.get("/shards", async (c) => c.json({ data: await listShards(c.env) }));

shardsRoutes.post("/shards/:name", async (c) => {
  const { status } = await parseBody(c.req.raw, StatusRequest, '{"status": "open" | "closed"}');
  try {
    return c.json(await setShardStatus(c.env, c.req.param("name"), status, c.get("tokenRole"), Date.now()));
  } catch (error) {
    if (error instanceof ShardStatusRefused) return errorResponse(c, error.status, error.code, error.message);
    throw error;
  }
});

/** The JSON body validated by `schema`; 400 `invalid_body` naming the expected shape otherwise. */
async function parseBody<S extends v.GenericSchema>(
  request: Request,
  schema: S,
  shape: string,
): Promise<v.InferOutput<S>> {
  let json: unknown;
  try {
    json = JSON.parse(await request.text());
  } catch {
    fail(400, "invalid_body", `The body must be JSON: ${shape}.`);
  }
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) fail(400, "invalid_body", `${parsed.issues[0]?.message ?? "invalid body"}; expected ${shape}.`);
  return parsed.output;
}
