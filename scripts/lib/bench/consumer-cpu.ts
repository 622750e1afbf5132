/**
 * Consumer CPU per unit of work, and what it means for the Workers Free plan (10 ms of CPU per
 * invocation): a probe Worker (instrument/consumer-probe.ts) runs the real job runners against
 * stub Argyle and D1 answers in a loop, timed from /proc like the receiver's probe, less what
 * the runtime burns idle. Measured: one listing page at two sizes (so the cost splits into a
 * per-page part and a per-gig part), and one fetch_gigs message (42 gigs fetched by ID).
 * From those: CPU per 200 stored gigs either way, how many pages a Free-plan invocation holds,
 * and the largest page that fits one.
 * @module
 */
import path from "node:path";
import { bundleWorker } from "../common/bundle.ts";
import { ROOT, startStack } from "../common/stack.ts";
import { cpuSeconds, idleCpuPerSecond, settle, workerdServing } from "./proc.ts";

const PROBE_PATH = "/__bench/consumer-probe";
/** The Workers Free plan's CPU limit per invocation. */
export const FREE_PLAN_CPU_MS = 10;
/** Gigs per fetch_gigs message (IDS_PER_JOB). */
const FETCH_JOB_GIGS = 42;

export interface ConsumerCpuSettings {
  /** CPU seconds to spend timing each piece. */
  seconds: number;
  /** The runtime counts as settled once it used no CPU for this long. */
  quietMs: number;
  idleSeconds: number;
}

export const CONSUMER_CPU_FULL: ConsumerCpuSettings = { seconds: 1, quietMs: 200, idleSeconds: 2 };
export const CONSUMER_CPU_TINY: ConsumerCpuSettings = { seconds: 0.1, quietMs: 50, idleSeconds: 0.2 };

export interface ConsumerCpuResult {
  /** CPU ms of a one-page list_window, by page size. */
  pageMs: { small: { gigs: number; ms: number }; full: { gigs: number; ms: number } };
  /** The page cost split: fixed per page, and per gig on it. */
  perPageMs: number;
  perGigMs: number;
  /** CPU ms of one fetch_gigs message of 42 gigs. */
  fetchJobMs: number;
  /** CPU ms per 200 gigs stored: from listing pages, and fetched by ID. */
  per200: { listing: number; byId: number };
  /**
   * Free plan: full pages that fit one invocation's 10 ms, the largest page that does, and the
   * largest that leaves half of it as headroom (Cloudflare's CPUs are not this machine's).
   */
  free: { fullPagesPerInvocation: number; largestPage: number; halfLimitPage: number; fetchJobFits: boolean };
}

const SMALL_PAGE = 50;
const FULL_PAGE = 200;

export async function runConsumerCpu(
  settings: ConsumerCpuSettings,
  progress: (line: string) => void,
): Promise<ConsumerCpuResult> {
  const probe = await bundleWorker(path.join(ROOT, "scripts/lib/bench/instrument/consumer-probe.ts"));
  const stack = await startStack({
    consumer: false,
    extraWorkers: [{ name: "consumer-probe", script: probe, routes: [`*${PROBE_PATH}*`] }],
    onLog: () => {},
  });
  try {
    const pid = workerdServing(stack.url);
    const idle = await idleCpuPerSecond(pid, settings.idleSeconds);
    const time = (query: string) => cpuMsPerRun(`${stack.url}${PROBE_PATH}?${query}`, pid, settings, idle);
    const small = await time(`piece=page&size=${SMALL_PAGE}`);
    const full = await time(`piece=page&size=${FULL_PAGE}`);
    const fetchJobMs = await time("piece=fetch");
    progress(
      `consumer CPU: page of ${FULL_PAGE} ${full.toFixed(2)} ms, of ${SMALL_PAGE} ${small.toFixed(2)} ms, fetch_gigs of ${FETCH_JOB_GIGS} ${fetchJobMs.toFixed(2)} ms`,
    );
    const perGigMs = Math.max(0, (full - small) / (FULL_PAGE - SMALL_PAGE));
    const perPageMs = Math.max(0, full - perGigMs * FULL_PAGE);
    const pageFitting = (ms: number) =>
      Math.max(0, Math.min(FULL_PAGE, perGigMs > 0 ? Math.floor((ms - perPageMs) / perGigMs) : FULL_PAGE));
    return {
      pageMs: { small: { gigs: SMALL_PAGE, ms: small }, full: { gigs: FULL_PAGE, ms: full } },
      perPageMs,
      perGigMs,
      fetchJobMs,
      per200: { listing: full, byId: (fetchJobMs / FETCH_JOB_GIGS) * 200 },
      free: {
        fullPagesPerInvocation: Math.floor(FREE_PLAN_CPU_MS / full),
        largestPage: pageFitting(FREE_PLAN_CPU_MS),
        halfLimitPage: pageFitting(FREE_PLAN_CPU_MS / 2),
        fetchJobFits: fetchJobMs < FREE_PLAN_CPU_MS,
      },
    };
  } finally {
    await stack.dispose();
  }
}

/** CPU ms per run: calibrate, then one run sized to take about `seconds` of CPU, less idle. */
async function cpuMsPerRun(url: string, pid: number, settings: ConsumerCpuSettings, idle: number): Promise<number> {
  const run = async (n: number, final: boolean) => {
    const cpuStart = cpuSeconds(pid);
    const started = performance.now();
    const response = await fetch(`${url}&n=${n}`, { method: "POST" });
    if (response.status !== 204) throw new Error(`consumer probe: ${response.status} ${await response.text()}`);
    // The garbage the loop made is part of its cost: let it be collected inside the window.
    if (final) await settle(pid, settings.quietMs);
    const wall = (performance.now() - started) / 1000;
    return Math.max(0, cpuSeconds(pid) - cpuStart - idle * wall);
  };
  let n = 2;
  const enough = Math.min(0.05, settings.seconds);
  let cpu = await run(n, false);
  while (cpu < enough && n < 1_000_000) {
    n *= 5;
    cpu = await run(n, false);
  }
  await settle(pid, settings.quietMs);
  const iterations = Math.max(1, Math.round((n * settings.seconds) / Math.max(cpu, 1e-3)));
  return ((await run(iterations, true)) / iterations) * 1000;
}

/** The report's section: the figures, the Free-plan verdict, and how the consumer is sized. */
export function renderConsumerCpu(r: ConsumerCpuResult): string {
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const verdict =
    r.free.fullPagesPerInvocation >= 1
      ? `a Free-plan invocation (${FREE_PLAN_CPU_MS} ms) holds ${r.free.fullPagesPerInvocation} full page(s) of ${r.pageMs.full.gigs} gigs`
      : `a full page of ${r.pageMs.full.gigs} gigs does **not** fit a Free-plan invocation (${FREE_PLAN_CPU_MS} ms); the largest page that does is about ${r.free.largestPage} gigs`;
  return [
    "## Consumer CPU and the Free plan",
    "",
    "The consumer's own CPU per unit of work: the real job runners in a loop inside workerd, with Argyle and D1",
    "answered at once from memory (so no I/O is timed), read from /proc less the runtime's idle burn.",
    "",
    "| work | CPU |",
    "|---|---|",
    `| one listing page of ${r.pageMs.small.gigs} gigs (list_window, one page) | ${ms(r.pageMs.small.ms)} |`,
    `| one listing page of ${r.pageMs.full.gigs} gigs | ${ms(r.pageMs.full.ms)} |`,
    `| of which per page / per gig | ${ms(r.perPageMs)} / ${ms(r.perGigMs)} |`,
    `| one fetch_gigs message (${FETCH_JOB_GIGS} gigs by ID) | ${ms(r.fetchJobMs)} |`,
    `| per 200 stored gigs: listed / fetched by ID | ${ms(r.per200.listing)} / ${ms(r.per200.byId)} |`,
    "",
    `**Free plan verdict:** ${verdict}; a fetch_gigs message ${r.free.fetchJobFits ? "fits" : "does **not** fit"}.`,
    `With half the limit kept as headroom, a page of up to ${r.free.halfLimitPage} gigs fits. So on the Free plan's`,
    "settings (MAX_SUBREQUESTS ≤ 50) the consumer walks one page per invocation (`MAX_PAGES_PER_INVOCATION`,",
    "default 1 there) and the rest continues as new messages; reconciliation confirms at most a fetch message's",
    "worth of gigs per invocation. Lower `ARGYLE_PAGE_SIZE` if Workers Logs show the CPU limit exceeded.",
    "These figures are this machine's; Cloudflare's CPU time may differ either way.",
    "",
  ].join("\n");
}
