/**
 * Ingest: signed `gigs.updated` webhooks at the receiver, against two baselines served by the
 * same workerd, in the same run: a no-op Worker (202, the body drained unread) and a bare-I/O
 * Worker (the receiver's D1 insert and queue sends, no checks). Rounds alternate the three, in
 * a rotating order, at each payload size and concurrency; each round also takes the runtime's
 * CPU time from /proc until it settles, less what it burns idle. Then a probe Worker times
 * pieces of the receiver's code alone. The consumer is left out so the CPU measured is the
 * ingest path's alone (with no consumer, the local queue drops what it is sent).
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { bundleWorker } from "../common/bundle.ts";
import { ROOT, startStack } from "../common/stack.ts";
import { runLoad } from "./load.ts";
import { cpuSeconds, idleCpuPerSecond, sampleRss, settle, workerdServing } from "./proc.ts";
import { percentile } from "./stats.ts";
import { gigsUpdatedBodies, type WebhookBodies } from "./webhook-bodies.ts";

export const TARGETS = ["receiver", "bare-io", "noop"] as const;
export type Target = (typeof TARGETS)[number];

const PATHS: Record<Target, string> = {
  receiver: "/webhooks/argyle",
  noop: "/__bench/noop",
  "bare-io": "/__bench/bare-io",
};
const PROBE_PATH = "/__bench/probe";

/** Pieces of the receiver's work the probe times alone (see instrument/receiver-probe.ts). */
export const PROBE_PIECES = ["app", "verify", "sha256", "parse", "plan"] as const;
export type ProbePiece = (typeof PROBE_PIECES)[number];

const SECRET = "bench-webhook-secret";
const BENCH_BODIES_SQL = "CREATE TABLE IF NOT EXISTS bench_bodies (id TEXT PRIMARY KEY, body BLOB NOT NULL)";

export interface IngestSettings {
  /** Gig IDs per payload, e.g. { small: 2, large: 5000 }. */
  payloads: Record<string, number>;
  concurrencies: number[];
  rounds: number;
  /** About how long a round lasts: it sends the cell's latest rate × this many requests. */
  seconds: number;
  /** Seconds of load per cell before the rounds (warms the JIT, measures the first rate). */
  warmupSeconds: number;
  idleSeconds: number;
  /** CPU seconds to spend timing each probe piece. */
  probeSeconds: number;
  /** The runtime is settled after a round once it has used no CPU for this long. */
  quietMs: number;
}

export interface IngestCell {
  payload: string;
  ids: number;
  bytes: number;
  concurrency: number;
  target: Target;
  ok: number;
  failed: number;
  /** Requests per second over all rounds, and in each round. */
  rps: number;
  roundRps: number[];
  p50Ms: number;
  p99Ms: number;
  /** The runtime's CPU per request, idle subtracted. */
  cpuMs: number;
}

export interface IngestResult {
  cells: IngestCell[];
  /** CPU ms per second the idle runtime burns, before the rounds (subtracted from each) and after. */
  idleCpuMsPerSecond: { before: number; after: number };
  memory: { peakRss: number; hwm: number };
  /** Queue messages and their size per payload (what bare-I/O sends too). */
  jobs: Record<string, { count: number; bytes: number }>;
  /** CPU ms per run of each piece of the receiver's work, alone and without I/O, per payload. */
  probe: Record<string, Record<ProbePiece, number>>;
}

export async function runIngest(settings: IngestSettings, progress: (line: string) => void): Promise<IngestResult> {
  const [noop, bareIo, probe] = await Promise.all([
    bundleWorker(path.join(ROOT, "scripts/lib/bench/baselines/noop.ts")),
    bundleWorker(path.join(ROOT, "scripts/lib/bench/baselines/bare-io.ts")),
    bundleWorker(path.join(ROOT, "scripts/lib/bench/instrument/receiver-probe.ts")),
  ]);
  // D1 on disk, as in production: every distinct body is stored, and the database should not
  // grow inside the process being measured.
  const dir = await mkdtemp(path.join(tmpdir(), "argyle-bench-"));
  const stack = await startStack({
    persistTo: dir,
    consumer: false,
    receiverVars: { ARGYLE_WEBHOOK_SECRET: SECRET },
    extraWorkers: [
      { name: "noop", script: noop, routes: [`*${PATHS.noop}*`] },
      { name: "bare-io", script: bareIo, routes: [`*${PATHS["bare-io"]}*`] },
      { name: "probe", script: probe, routes: [`*${PROBE_PATH}*`], bindings: { ARGYLE_WEBHOOK_SECRET: SECRET } },
    ],
    // One log line per delivery is part of the receiver's work; reading them is not ours to time.
    onLog: () => {},
  });
  try {
    const pid = workerdServing(stack.url);
    await stack.db.prepare(BENCH_BODIES_SQL).run();
    const bodies = Object.fromEntries(
      Object.entries(settings.payloads).map(([name, ids]) => [name, gigsUpdatedBodies(ids, SECRET)]),
    );
    const memory = sampleRss(pid);
    const idleBefore = await idleCpuPerSecond(pid, settings.idleSeconds);

    // Warm up every cell, and learn its rate: rounds send a set number of requests (so none is
    // cut off in flight with its CPU spent), sized from the latest rate to last `seconds`.
    const rates = new Map<string, number>();
    for (const [name, body] of Object.entries(bodies)) {
      for (const target of TARGETS) {
        await checkAnswer(stack.url, target, body);
        for (const concurrency of settings.concurrencies) {
          const warm = await runLoad({
            url: stack.url + PATHS[target],
            connections: concurrency,
            run: { seconds: settings.warmupSeconds },
            next: body.next,
          });
          rates.set(`${name}|${concurrency}|${target}`, warm.ok / Math.max(warm.seconds, 1e-3));
        }
      }
      progress(`ingest: warmed up (${name})`);
    }
    const samples = new Map<
      string,
      { ok: number; failed: number; seconds: number; cpu: number; rps: number[]; latencies: number[][] }
    >();
    for (let round = 0; round < settings.rounds; round++) {
      for (const [name, body] of Object.entries(bodies)) {
        for (const concurrency of settings.concurrencies) {
          for (const target of rotate(TARGETS, round)) {
            const key = `${name}|${concurrency}|${target}`;
            const requests = Math.max(2 * concurrency, Math.round((rates.get(key) ?? 1) * settings.seconds));
            const cpuStart = cpuSeconds(pid);
            const started = performance.now();
            const result = await runLoad({
              url: stack.url + PATHS[target],
              connections: concurrency,
              run: { requests },
              next: body.next,
            });
            rates.set(key, result.ok / Math.max(result.seconds, 1e-3));
            // Work a round leaves behind (waitUntil bookkeeping, garbage collection) is its own:
            // wait it out, so it is not billed to the next round's Worker.
            await settle(pid, settings.quietMs);
            const wall = (performance.now() - started) / 1000;
            const cpu = Math.max(0, cpuSeconds(pid) - cpuStart - idleBefore * wall);
            const s = samples.get(key) ?? { ok: 0, failed: 0, seconds: 0, cpu: 0, rps: [], latencies: [] };
            s.ok += result.ok;
            s.failed += result.failed;
            s.seconds += result.seconds;
            s.cpu += cpu;
            s.rps.push(result.ok / result.seconds);
            s.latencies.push(result.latenciesMs);
            samples.set(key, s);
          }
          progress(`ingest: round ${round + 1}/${settings.rounds}, ${name} payload, concurrency ${concurrency}`);
        }
      }
    }
    await settle(pid, settings.quietMs);
    const idleAfter = await idleCpuPerSecond(pid, settings.idleSeconds);
    const probeResults: IngestResult["probe"] = {};
    for (const [name, body] of Object.entries(bodies)) {
      const times = {} as Record<ProbePiece, number>;
      for (const piece of PROBE_PIECES) {
        times[piece] = await probeCpuMs(stack.url, pid, piece, body, settings, idleBefore);
      }
      probeResults[name] = times;
      progress(`ingest: probed the receiver's pieces (${name} payload)`);
    }

    const cells: IngestCell[] = [];
    for (const [name, body] of Object.entries(bodies)) {
      for (const concurrency of settings.concurrencies) {
        for (const target of TARGETS) {
          const s = samples.get(`${name}|${concurrency}|${target}`);
          if (!s) continue;
          const latencies = s.latencies.flat();
          cells.push({
            payload: name,
            ids: body.ids,
            bytes: body.bytes,
            concurrency,
            target,
            ok: s.ok,
            failed: s.failed,
            rps: s.ok / s.seconds,
            roundRps: s.rps,
            p50Ms: percentile(latencies, 50),
            p99Ms: percentile(latencies, 99),
            cpuMs: s.ok === 0 ? Number.NaN : (s.cpu / s.ok) * 1000,
          });
        }
      }
    }
    return {
      cells,
      idleCpuMsPerSecond: { before: idleBefore * 1000, after: idleAfter * 1000 },
      memory: memory.stop(),
      jobs: Object.fromEntries(Object.entries(bodies).map(([name, body]) => [name, body.jobs])),
      probe: probeResults,
    };
  } finally {
    await stack.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The receiver must accept the benchmark's bodies (202 "accepted"), or its figures mean nothing. */
async function checkAnswer(url: string, target: Target, body: WebhookBodies): Promise<void> {
  const { body: bytes, headers } = body.next();
  const response = await fetch(url + PATHS[target], { method: "POST", body: new Uint8Array(bytes), headers });
  const text = await response.text();
  if (response.status !== 202 || !text.includes('"accepted"')) {
    throw new Error(`${target} answered ${response.status} ${text.slice(0, 200)}`);
  }
}

/**
 * CPU ms one run of `piece` takes: a short calibration run, then one sized to take about
 * `seconds` of CPU, timed from /proc until the runtime settles (less idle), divided by its
 * iterations.
 */
async function probeCpuMs(
  url: string,
  pid: number,
  piece: ProbePiece,
  body: WebhookBodies,
  settings: IngestSettings,
  idlePerSecond: number,
): Promise<number> {
  const seconds = settings.probeSeconds;
  const run = async (n: number, final: boolean) => {
    const { body: bytes, headers } = body.next();
    const cpuStart = cpuSeconds(pid);
    const started = performance.now();
    const response = await fetch(`${url}${PROBE_PATH}?piece=${piece}&n=${n}`, {
      method: "POST",
      body: new Uint8Array(bytes),
      headers,
    });
    if (response.status !== 204) throw new Error(`probe ${piece}: ${response.status} ${await response.text()}`);
    // The garbage the loop made is part of its cost: let it be collected inside the window.
    if (final) await settle(pid, settings.quietMs);
    const wall = (performance.now() - started) / 1000;
    return Math.max(0, cpuSeconds(pid) - cpuStart - idlePerSecond * wall);
  };
  let n = 20;
  // Grow the calibration run until it is long enough to scale from (a clock tick is 10 ms).
  const enough = Math.min(0.05, seconds);
  let cpu = await run(n, false);
  while (cpu < enough && n < 10_000_000) {
    n *= 10;
    cpu = await run(n, false);
  }
  await settle(pid, settings.quietMs);
  const iterations = Math.max(1, Math.round((n * seconds) / Math.max(cpu, 1e-3)));
  return ((await run(iterations, true)) / iterations) * 1000;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
