/**
 * The figures the report quotes, derived from raw results: ratios against the baselines and
 * bounds, cost per 1,000 gigs, and each target met or missed.
 * @module
 */
import type { ConsumerRun, Cost } from "./consumer-scenarios.ts";
import type { IngestCell, ProbePiece, Target } from "./ingest-scenario.ts";
import type { Plan } from "./pipeline.ts";
import type { BenchResults } from "./run.ts";
import { median, ratio } from "./stats.ts";

export interface IngestRow extends IngestCell {
  rpsVsBareIo: number;
  rpsVsNoop: number;
  p99VsBareIo: number;
  cpuAboveNoop: number;
  cpuAboveBareIo: number;
}

export interface ConsumerRow {
  scenario: "fetch" | "backfill";
  plan: Plan;
  gigs: number;
  /** Median over the repeats; `runs` holds each. */
  seconds: number;
  runs: number[];
  boundSeconds: number;
  /** bound / measured: 1 = as fast as the bound allows. */
  efficiency: number;
  /** measured / bound. */
  overBound: number;
  floorSeconds: number;
  /** measured / floor. */
  overFloor: number;
  firstJobSeconds: number;
  invocations: number;
  maxSubrequests: number;
  maxConcurrent: number;
  per1000: Cost & { subrequests: number };
  peakRss: number;
  hwm: number;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

export interface Figures {
  ingest: IngestRow[];
  probe: Record<string, Record<ProbePiece, number>>;
  consumer: ConsumerRow[];
  targets: TargetCheck[];
}

export function deriveFigures(results: BenchResults): Figures {
  const cells = results.ingest.cells;
  const find = (payload: string, concurrency: number, target: Target) =>
    cells.find((c) => c.payload === payload && c.concurrency === concurrency && c.target === target);
  const ingest = cells.map((cell): IngestRow => {
    const bare = find(cell.payload, cell.concurrency, "bare-io");
    const noop = find(cell.payload, cell.concurrency, "noop");
    return {
      ...cell,
      rpsVsBareIo: ratio(cell.rps, bare?.rps ?? 0),
      rpsVsNoop: ratio(cell.rps, noop?.rps ?? 0),
      p99VsBareIo: ratio(cell.p99Ms, bare?.p99Ms ?? 0),
      cpuAboveNoop: cell.cpuMs - (noop?.cpuMs ?? Number.NaN),
      cpuAboveBareIo: cell.cpuMs - (bare?.cpuMs ?? Number.NaN),
    };
  });
  const consumer = consumerRows(results.consumer);
  return { ingest, probe: results.ingest.probe, consumer, targets: targets(results, ingest, consumer) };
}

function consumerRows(runs: readonly ConsumerRun[]): ConsumerRow[] {
  const groups = new Map<string, ConsumerRun[]>();
  for (const run of runs) {
    const key = `${run.scenario}|${run.plan.name}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as ConsumerRun;
    const seconds = median(group.map((r) => r.seconds));
    const floorSeconds = median(group.map((r) => r.floorSeconds));
    const per = (pick: (run: ConsumerRun) => number) => median(group.map((r) => (pick(r) * 1000) / r.gigs));
    return {
      scenario: first.scenario,
      plan: first.plan,
      gigs: first.gigs,
      seconds,
      runs: group.map((r) => r.seconds),
      boundSeconds: first.boundSeconds,
      efficiency: ratio(first.boundSeconds, seconds),
      overBound: ratio(seconds, first.boundSeconds),
      floorSeconds,
      overFloor: ratio(seconds, floorSeconds),
      firstJobSeconds: median(group.map((r) => r.firstJobSeconds)),
      invocations: median(group.map((r) => r.consumer.invocations)),
      maxSubrequests: Math.max(...group.map((r) => r.consumer.maxSubrequests)),
      maxConcurrent: Math.max(...group.map((r) => r.consumer.maxConcurrent)),
      per1000: {
        queueMessages: per((r) => r.cost.queueMessages),
        argyleRequests: per((r) => r.cost.argyleRequests),
        otherSubrequests: per((r) => r.cost.otherSubrequests),
        subrequests: per((r) => r.cost.argyleRequests + r.cost.otherSubrequests),
        rowsWritten: per((r) => r.cost.rowsWritten),
      },
      peakRss: Math.max(...group.map((r) => r.memory.peakRss)),
      hwm: Math.max(...group.map((r) => r.memory.hwm)),
    };
  });
}

function targets(results: BenchResults, ingest: IngestRow[], consumer: ConsumerRow[]): TargetCheck[] {
  const concurrencies = results.settings.ingest.concurrencies;
  const top = Math.max(...concurrencies);
  const receiver = (payload: string, concurrency: number) =>
    ingest.find((r) => r.payload === payload && r.concurrency === concurrency && r.target === "receiver");
  const small = receiver("small", top);
  const freeFetch = consumer.find((r) => r.scenario === "fetch" && r.plan.name === "free");
  const freeBackfill = consumer.find((r) => r.scenario === "backfill" && r.plan.name === "free");
  const worst = (pick: (row: IngestRow) => number, payload: string) =>
    Math.max(...concurrencies.map((c) => pick(receiver(payload, c) ?? ({} as IngestRow))));
  const cpuAboveNoop = worst((r) => r.cpuAboveNoop, "small");
  const cpuLarge = worst((r) => r.cpuMs, "large");
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  const num = (x: number, digits = 1) => x.toFixed(digits);
  return [
    {
      target: `Small ingest at concurrency ${top}: ≥ 80 % of bare-I/O throughput`,
      measured: pct(small?.rpsVsBareIo ?? Number.NaN),
      met: (small?.rpsVsBareIo ?? 0) >= 0.8,
    },
    {
      target: `Small ingest at concurrency ${top}: p99 ≤ 25 ms`,
      measured: `${num(small?.p99Ms ?? Number.NaN)} ms`,
      met: (small?.p99Ms ?? Number.POSITIVE_INFINITY) <= 25,
    },
    {
      target: "CPU: ≤ 1 ms per small webhook above the no-op baseline",
      measured: `${num(cpuAboveNoop, 2)} ms`,
      met: cpuAboveNoop <= 1,
    },
    {
      target: `CPU: ≤ 10 ms total for the ${(results.settings.ingest.payloads.large ?? Number.NaN).toLocaleString("en-US")}-ID webhook`,
      measured: `${num(cpuLarge)} ms`,
      met: cpuLarge <= 10,
    },
    {
      target: "Per-ID fetch (Free plan): ≥ 80 % of the connection bound",
      measured: pct(freeFetch?.efficiency ?? Number.NaN),
      met: (freeFetch?.efficiency ?? 0) >= 0.8,
    },
    {
      target: "Backfill (Free plan): within 2× of the pagination bound",
      measured: `${num(freeBackfill?.overBound ?? Number.NaN, 2)}×`,
      met: (freeBackfill?.overBound ?? Number.POSITIVE_INFINITY) <= 2,
    },
    {
      target: "Per 1,000 gigs updated (Free plan): ≤ 30 queue messages",
      measured: num(freeFetch?.per1000.queueMessages ?? Number.NaN),
      met: (freeFetch?.per1000.queueMessages ?? Number.POSITIVE_INFINITY) <= 30,
    },
    {
      target: "Per 1,000 gigs updated (Free plan): ≤ 1,100 subrequests in all",
      measured: num(freeFetch?.per1000.subrequests ?? Number.NaN),
      met: (freeFetch?.per1000.subrequests ?? Number.POSITIVE_INFINITY) <= 1100,
    },
  ];
}
