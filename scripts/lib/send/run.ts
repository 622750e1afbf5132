/**
 * `npm run send`: resolve the target, build and sign the payload, POST it (`--repeat` times),
 * print each answer, then wait for the mirror through the read API. Returns the exit code.
 * @module
 */
import { CliFailure, describeFetchError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "../common/cli-errors.ts";
import type { CliIo } from "../common/cli-io.ts";
import { fetchJson, isSuccess, type JsonResponse } from "../common/fetch-json.ts";
import { type LocalArgyleSource, localArgyleSource } from "../common/local-argyle-client.ts";
import { parseSendArgs, SEND_USAGE, type SendPlan } from "./args.ts";
import { formatSeconds, type WaitGoal, waitForMirror, waitGoal } from "./mirror-wait.ts";
import { ProgressLine } from "./progress-line.ts";
import { type AccountSnapshot, accountSnapshot, type ReadApi } from "./read-api.ts";
import { webhookHeaders } from "./signed-webhook.ts";
import { resolveTarget, type SendTarget } from "./target.ts";
import { buildPayload } from "./webhook-payloads.ts";

export interface SendDeps {
  /** Where accounts and gigs come from; default the local Argyle at `--argyle`. */
  source?: LocalArgyleSource;
  /** Pause between polls of the read API. */
  intervalMs?: number;
  /** How long gigs_stored must hold still after gigs.added. */
  stableMs?: number;
}

const INTERVAL_MS = 250;
const STABLE_MS = 1_000;
const BODY_PREVIEW_CHARS = 1_200;

export async function runSend(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  deps: SendDeps = {},
): Promise<number> {
  let plan: SendPlan;
  try {
    const command = parseSendArgs(argv, env);
    if (command.kind === "help") {
      io.out(SEND_USAGE);
      return EXIT_OK;
    }
    plan = command.plan;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`send: ${error.message}`);
    io.err("run `npm run send -- --help` for usage");
    return EXIT_USAGE;
  }
  try {
    return await send(plan, io, deps);
  } catch (error) {
    if (!(error instanceof CliFailure)) throw error;
    io.err(`send: ${error.message}`);
    return EXIT_FAILED;
  }
}

async function send(plan: SendPlan, io: CliIo, deps: SendDeps): Promise<number> {
  const target = await resolveTarget(plan, deps.source ?? localArgyleSource(plan.argyle));
  for (const note of target.notes) io.err(`note: ${note}`);
  const body = JSON.stringify(buildPayload(plan.event, target));
  const headers = await webhookHeaders(body, plan.secret, plan.tamper);
  const api: ReadApi = { base: plan.readApi, token: plan.token };
  const goal: WaitGoal =
    plan.wait && !plan.tamper ? waitGoal(plan.event, target) : { kind: "none", reason: "not waiting" };
  // Read before sending: a pass already done must not pass for this webhook's (and a bad token
  // is reported before anything is sent).
  const baseline = goal.kind === "backfill" ? await readBaseline(api, target.account) : null;

  io.out(describeTarget(plan, target));
  io.out(`POST ${plan.url}${plan.tamper ? " with a deliberately wrong signature" : ""}`);
  io.out(`body: ${preview(body)}`);
  const started = performance.now();
  const statuses: number[] = [];
  for (let i = 1; i <= plan.repeat; i++) {
    const response = await post(plan, headers, body);
    statuses.push(response.status);
    const prefix = plan.repeat > 1 ? `[${i}/${plan.repeat}] ` : "";
    io.out(`${prefix}${response.status} ${response.statusText} ${preview(response.text.trim() || "(no body)")}`);
  }

  if (plan.tamper) return tamperOutcome(statuses, io);
  const refused = statuses.find((s) => !isSuccess(s));
  if (refused !== undefined) {
    io.err(`send: the receiver answered ${refused}; not waiting for the mirror`);
    return EXIT_FAILED;
  }
  if (!plan.wait) return EXIT_OK;
  if (goal.kind === "none") {
    io.out(`nothing to wait for: ${goal.reason}`);
    return EXIT_OK;
  }

  const progress = new ProgressLine(io);
  const outcome = await waitForMirror(goal, {
    api,
    timeoutMs: plan.timeoutMs,
    intervalMs: deps.intervalMs ?? INTERVAL_MS,
    stableMs: deps.stableMs ?? STABLE_MS,
    baseline,
    onProgress: (text) => progress.update(text),
  }).finally(() => progress.end());
  if (!outcome.ok) {
    io.err(`send: ${outcome.reason}`);
    return EXIT_FAILED;
  }
  io.out(`done in ${formatSeconds(performance.now() - started)}`);
  return EXIT_OK;
}

async function post(plan: SendPlan, headers: Record<string, string>, body: string): Promise<JsonResponse> {
  try {
    return await fetchJson(plan.url, { method: "POST", headers, body });
  } catch (error) {
    const local = /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(plan.url);
    throw new CliFailure(
      `could not reach the receiver at ${plan.url}: ${describeFetchError(error)}` +
        (local ? " (is `npm run dev` running?)" : ""),
    );
  }
}

function tamperOutcome(statuses: readonly number[], io: CliIo): number {
  if (statuses.every((s) => s === 401)) {
    io.out("401 as expected: the receiver refused the wrong signature");
    return EXIT_OK;
  }
  const other = statuses.find((s) => s !== 401);
  io.err(
    other !== undefined && isSuccess(other)
      ? `send: the receiver ACCEPTED a wrong signature (${other}): its signature check is not working`
      : `send: expected 401 for a wrong signature, got ${other}`,
  );
  return EXIT_FAILED;
}

async function readBaseline(api: ReadApi, account: string): Promise<AccountSnapshot | null> {
  const answer = await accountSnapshot(api, account);
  return answer.status === 200 ? answer.value : null;
}

/** One line saying what is being sent. */
function describeTarget(plan: SendPlan, target: SendTarget): string {
  const who = `${plan.event} for account ${target.account} (user ${target.user})`;
  const ids = target.gigs.map((g) => g.id);
  const shown = ids.length > 3 ? `${ids.slice(0, 3).join(", ")}, …` : ids.join(", ");
  switch (plan.event) {
    case "gigs.updated":
    case "gigs.removed":
      return `${who}: ${ids.length} gig${ids.length === 1 ? "" : "s"} ${shown}`;
    case "gigs.added":
      return `${who}: ${target.count} new gig${target.count === 1 ? "" : "s"}`;
    case "gigs.partially_synced":
      return `${who}: ${target.daysSynced} days synced, ${target.count} gigs`;
    default:
      return who;
  }
}

function preview(text: string): string {
  return text.length <= BODY_PREVIEW_CHARS ? text : `${text.slice(0, BODY_PREVIEW_CHARS)}… (${text.length} chars)`;
}
