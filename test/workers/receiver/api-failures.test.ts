import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Job, parseJob } from "../../../src/domain/jobs.ts";
import type { FailureSummary } from "../../../src/domain/storage/failures.ts";
import { ACCOUNT, apiJson, fetchJob, insertFailure } from "../api-helpers.ts";
import { clearTables } from "../helpers.ts";

interface FailurePage {
  data: FailureSummary[];
  next: string | null;
}

const OTHER_ACCOUNT = "0187c66e-ffff-811c-b006-2232f00f426a";
const failureId = (n: number) => `0190c0de-0000-7000-8000-${n.toString().padStart(12, "0")}`;

function spyOnQueue() {
  const spy = vi.spyOn(env.JOBS, "sendBatch");
  return { spy, jobs: (): Job[] => spy.mock.calls.flatMap(([messages]) => [...messages].map((m) => m.body)) };
}

async function failureRow(id: string) {
  return env.DB.prepare("SELECT status, redriven_at FROM failures WHERE id = ?1").bind(id).first();
}

function retry(id: string) {
  return apiJson<Record<string, unknown> & { error?: { code: string; message: string } }>(`/api/failures/${id}/retry`, {
    method: "POST",
  });
}

beforeEach(clearTables);
afterEach(() => vi.restoreAllMocks());

describe("GET /api/failures", () => {
  beforeEach(async () => {
    await insertFailure({ id: failureId(1) });
    await insertFailure({ id: failureId(2), status: "redriven", redriven_at: "2024-06-02T00:00:00.000Z" });
    const otherJob = fetchJob({ job_id: `${failureId(3)}:0`, account: OTHER_ACCOUNT });
    await insertFailure({ id: failureId(3), account: OTHER_ACCOUNT, job: otherJob });
    const backfill = { job_id: `${failureId(4)}:0`, kind: "backfill", ids: undefined, pass: null, cursor: null };
    await insertFailure({ id: failureId(4), job: fetchJob(backfill) });
  });

  it("lists what the dead-letter path recorded, newest first, with the job parsed", async () => {
    const { status, body } = await apiJson<FailurePage>("/api/failures");
    expect(status).toBe(200);
    expect(body.next).toBeNull();
    expect(body.data.map((f) => f.id)).toEqual([failureId(4), failureId(3), failureId(2), failureId(1)]);
    expect(body.data[3]).toEqual({
      id: failureId(1),
      created_at: "2024-06-01T12:30:00.000Z",
      job_id: "0190c0de-0000-7000-8000-000000000001:0",
      kind: "fetch_gigs",
      account: ACCOUNT,
      event_id: "0190c0de-0000-7000-8000-000000000001",
      job: fetchJob(),
      gig_ids: 2,
      reason: "transient",
      attempts: 5,
      last_error: "Argyle answered 503",
      status: "open",
      redriven_at: null,
    });
  });

  it("filters by status and account", async () => {
    const list = async (q: string) => (await apiJson<FailurePage>(`/api/failures?${q}`)).body.data.map((f) => f.id);
    expect(await list("status=open")).toEqual([failureId(4), failureId(3), failureId(1)]);
    expect(await list("status=redriven")).toEqual([failureId(2)]);
    expect(await list(`account=${OTHER_ACCOUNT}`)).toEqual([failureId(3)]);
    expect(await list(`account=${ACCOUNT}&status=open`)).toEqual([failureId(4), failureId(1)]);
  });

  it("paginates with next", async () => {
    const first = (await apiJson<FailurePage>("/api/failures?status=open&limit=2")).body;
    expect(first.data.map((f) => f.id)).toEqual([failureId(4), failureId(3)]);
    const second = (await apiJson<FailurePage>(first.next as string)).body;
    expect(second).toEqual({ data: [expect.objectContaining({ id: failureId(1) })], next: null });
  });

  it.each(["status=closed", "account=x", "limit=0", `status=${"o".repeat(10_240)}`])(
    "answers 400 for %s",
    async (q) => {
      const { status, body } = await apiJson<{ error: { code: string } }>(`/api/failures?${q}`);
      expect(status).toBe(400);
      expect(body.error.code).toBe("invalid_parameter");
    },
  );
});

describe("POST /api/failures/{id}/retry", () => {
  it("re-enqueues exactly the failure's work under a fresh job id and marks it redriven", async () => {
    await insertFailure({ id: failureId(1) });
    const queue = spyOnQueue();
    const { status, body } = await retry(failureId(1));
    expect(status).toBe(202);
    expect(body).toEqual({
      status: "redriven",
      id: failureId(1),
      job_id: expect.stringMatching(/^0190c0de-0000-7000-8000-000000000001:0\.r[0-9a-z]+$/),
      redriven_at: expect.any(String),
    });

    const [job, ...rest] = queue.jobs();
    expect(rest).toEqual([]);
    expect(parseJob(job).success).toBe(true);
    const { job_id, received_at, origin, ...work } = job as Job;
    const { job_id: oldId, received_at: oldReceived, origin: _oldOrigin, ...stored } = fetchJob();
    expect(work).toEqual(stored); // same kind, account, event, ids
    // Marked as a redrive, so its stale available_count cannot roll the account's state back.
    expect(origin).toBe("redrive");
    expect(job_id).toBe(body.job_id);
    expect(job_id).not.toBe(oldId);
    // Still dated by its webhook's arrival (issue 10, defect 3): "now" would let an old removal
    // undo a gig fetched alive since, and the freshness check already skips gigs fetched since.
    expect(received_at).toBe(oldReceived);
    expect(await failureRow(failureId(1))).toEqual({ status: "redriven", redriven_at: body.redriven_at });
  });

  it("does not grow the job id when work is redriven again and again", async () => {
    const job = fetchJob({ job_id: "0190c0de-0000-7000-8000-000000000001:0.rlx1abc" });
    await insertFailure({ id: failureId(1), job });
    const { body } = await retry(failureId(1));
    expect(body.job_id).toMatch(/^0190c0de-0000-7000-8000-000000000001:0\.r[0-9a-z]+$/);
    expect(body.job_id).not.toBe(job.job_id);
  });

  it("answers 409 for a failure already redriven, and queues nothing", async () => {
    await insertFailure({ id: failureId(1) });
    expect((await retry(failureId(1))).status).toBe(202);
    const queue = spyOnQueue();
    const again = await retry(failureId(1));
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe("already_redriven");
    expect(queue.spy).not.toHaveBeenCalled();
  });

  it.each([
    ["unknown", failureId(99)],
    ["not an id", "nope"],
    ["injection-shaped", encodeURIComponent("' OR 1=1 --")],
  ])("answers 404 for an %s id", async (_label, id) => {
    await insertFailure({ id: failureId(1) });
    const queue = spyOnQueue();
    const { status, body } = await retry(id);
    expect(status).toBe(404);
    expect(body.error?.code).toBe("not_found");
    expect(queue.spy).not.toHaveBeenCalled();
    expect(await failureRow(failureId(1))).toEqual({ status: "open", redriven_at: null });
  });

  it("answers 503 with Retry-After when the queue refuses, and marks nothing", async () => {
    await insertFailure({ id: failureId(1) });
    vi.spyOn(env.JOBS, "sendBatch").mockRejectedValueOnce(new Error("Queue send failed"));
    const { status, body, res } = await retry(failureId(1));
    expect(status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(body.error?.code).toBe("unavailable");
    expect(await failureRow(failureId(1))).toEqual({ status: "open", redriven_at: null });
    // And the redrive can simply be tried again.
    expect((await retry(failureId(1))).status).toBe(202);
  });

  it("answers 422 for a stored job that no longer matches the job schema, and queues nothing", async () => {
    await insertFailure({ id: failureId(1), job: fetchJob({ v: 0 }) });
    await insertFailure({ id: failureId(2), job: "{not json" });
    const queue = spyOnQueue();
    for (const id of [failureId(1), failureId(2)]) {
      const { status, body } = await retry(id);
      expect(status).toBe(422);
      expect(body.error?.code).toBe("invalid_job");
      expect(await failureRow(id)).toEqual({ status: "open", redriven_at: null });
    }
    expect(queue.spy).not.toHaveBeenCalled();
  });

  it("is POST only", async () => {
    await insertFailure({ id: failureId(1) });
    expect((await apiJson(`/api/failures/${failureId(1)}/retry`)).status).toBe(404);
    expect(await failureRow(failureId(1))).toEqual({ status: "open", redriven_at: null });
  });
});
