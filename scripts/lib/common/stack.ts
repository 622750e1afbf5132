/**
 * The local stack: the receiver and consumer Workers in one miniflare (workerd) instance, with
 * a local D1 catalog (DB), the gig shards SHARD_1..SHARD_N, and the local jobs queue and
 * dead-letter queue between them, configured from the same wrangler files that deploy them. Used by `npm run dev`, the whole-pipeline
 * tests, the reliability suite and the benchmarks.
 * @module
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  convertV4MiniflareOptions,
  type Request as MfRequest,
  type Response as MfResponse,
  Miniflare,
} from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { gigCount, gigRows } from "./all-shards.ts";
import { bundleWorker } from "./bundle.ts";
import { applyMigrations, type LocalD1 } from "./migrations.ts";
import { configuredShards, shardBindingNames, shardCount, withShards } from "./shard-count.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface StackOptions {
  host?: string;
  /** Receiver port; 0 picks a free one. */
  port?: number;
  /**
   * Gig shards both Workers get: exactly SHARD_1..SHARD_N. Default: `GIG_SHARDS`, else the
   * shards in wrangler.toml (2). At least 1.
   */
  shards?: number;
  /** Directory for D1's data (every database, each under its own id); omitted = in memory, gone on dispose. */
  persistTo?: string | undefined;
  /** Vars and secrets for the receiver, on top of wrangler.toml's [vars]. */
  receiverVars?: Record<string, string>;
  /** Vars and secrets for the consumer, on top of wrangler.consumer.toml's [vars]. */
  consumerVars?: Record<string, string>;
  /** Queue consumer settings to override (e.g. shorter batch timeouts in tests). */
  queueOverrides?: Record<string, QueueConsumerOptions>;
  /** Every log line the Workers write (structured JSON lines, mostly). */
  onLog?: (level: string, message: string) => void;
  /**
   * False leaves the consumer Worker out, so nothing takes jobs off the queue (the local queue
   * then drops what is sent to it, as a queue without a consumer does). Default true.
   */
  consumer?: boolean;
  /** More Workers in the same runtime, e.g. benchmark baselines. */
  extraWorkers?: ExtraWorker[];
  /**
   * Entry modules bundled instead of src/receiver/index.ts and src/consumer/index.ts: wrappers
   * that meter the real Workers (benchmarks) or hand them fault-injecting bindings (reliability).
   */
  entries?: { receiver?: string; consumer?: string };
  /** Test-only: service bindings added to both Workers, answered by functions in this process. */
  serviceBindings?: Record<string, (request: MfRequest) => Promise<MfResponse>>;
}

/**
 * A Worker run beside the receiver, configured like it (compatibility, D1, queue producer) and
 * reached through its URL on `routes`, e.g. "*" + "/__bench/noop*" (any host, that path).
 */
export interface ExtraWorker {
  name: string;
  /** An ES module, e.g. from `bundleWorker`. */
  script: string;
  routes: string[];
  /** Vars on top of the receiver's D1 and queue bindings. */
  bindings?: Record<string, unknown>;
}

export interface Stack {
  /** The receiver's base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  mf: Miniflare;
  /** The catalog (binding DB). */
  db: LocalD1;
  /** Every gig shard by binding name: SHARD_1..SHARD_N. */
  shards: Record<string, LocalD1>;
  /** The gig shard `name` (SHARD_n); throws for a shard this stack does not run. */
  shardDb(name: string): LocalD1;
  /** Rows of `sql` on the catalog's legacy tables and every shard, concatenated (see all-shards.ts). */
  gigRows<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** The sum of `sql`'s `n` column over the catalog and every shard. */
  gigCount(sql: string, ...params: unknown[]): Promise<number>;
  /** Runs the consumer's cron handler now (or as if at `scheduledTime`), as the platform would on schedule. */
  runCron(scheduledTime?: Date): Promise<void>;
  dispose(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const [receiverScript, consumerScript] = await Promise.all([
    bundleWorker(options.entries?.receiver ?? path.join(ROOT, "src/receiver/index.ts")),
    bundleWorker(options.entries?.consumer ?? path.join(ROOT, "src/consumer/index.ts")),
  ]);
  const receiverConfig = workerOptions("wrangler.toml");
  const consumerConfig = workerOptions("wrangler.consumer.toml");
  const shardTotal = localShardCount(options.shards, process.env);
  const shardNames = shardBindingNames(shardTotal);
  const receiver = { ...receiverConfig, d1Databases: withShards(receiverConfig.d1Databases, shardTotal) };
  const consumer = { ...consumerConfig, d1Databases: withShards(consumerConfig.d1Databases, shardTotal) };
  const queueConsumers = { ...consumer.queueConsumers };
  for (const [queue, override] of Object.entries(options.queueOverrides ?? {})) {
    queueConsumers[queue] = { ...queueConsumers[queue], ...override };
  }

  const v4 = (port: number) => ({
    host: options.host ?? "127.0.0.1",
    port,
    workers: [
      {
        ...receiver,
        name: "receiver",
        modules: [{ type: "ESModule" as const, path: "receiver.js", contents: receiverScript }],
        bindings: { ...receiver.bindings, ...options.receiverVars },
        serviceBindings: { ...receiver.serviceBindings, ...options.serviceBindings },
      },
      {
        ...consumer,
        name: "consumer",
        modules: [{ type: "ESModule" as const, path: "consumer.js", contents: consumerScript }],
        bindings: { ...consumer.bindings, ...options.consumerVars },
        serviceBindings: { ...consumer.serviceBindings, ...options.serviceBindings },
        queueConsumers,
        // The platform fires crons; locally `runCron()` (or the dev runner's timer) does.
        cronTriggers: [],
        // Dispatching scheduled() from Node needs this flag; it only exists locally.
        compatibilityFlags: [...consumer.compatibilityFlags, "service_binding_extra_handlers"],
      },
      // The receiver's settings (compatibility, D1, queue) with the extra Worker's own code and vars.
      ...(options.extraWorkers ?? []).map((extra) => ({
        ...receiver,
        name: extra.name,
        modules: [{ type: "ESModule" as const, path: `${extra.name}.js`, contents: extra.script }],
        routes: extra.routes,
        bindings: extra.bindings ?? {},
      })),
    ].filter((worker) => options.consumer !== false || worker.name !== "consumer"),
  });
  const miniflareOptions = (port: number) => ({
    ...convertV4MiniflareOptions(v4(port) as Parameters<typeof convertV4MiniflareOptions>[0]),
    enableDevRegistry: false,
    ...(options.persistTo ? { resourcePersistencePath: options.persistTo } : {}),
    ...(options.onLog
      ? { handleStructuredLogs: (log: { level: string; message: string }) => options.onLog?.(log.level, log.message) }
      : {}),
  });
  // Nothing may reach the Workers before their tables exist (a webhook would get 503 "no such
  // table", and /health would be asked too early). So the runtime first listens on a port nobody
  // knows, the migrations are applied, and only then does it move to the requested port.
  const port = options.port ?? 0;
  const mf = new Miniflare(miniflareOptions(0));
  try {
    await mf.ready;
    await applyMigrations(await mf.getD1Database("DB", "receiver"), path.join(ROOT, "migrations"));
    for (const name of shardNames) {
      await applyMigrations(await mf.getD1Database(name, "receiver"), path.join(ROOT, "migrations-shard"));
    }
    // Port 0 means "any free one": no client can know it before this function returns.
    if (port !== 0) await mf.setOptions(miniflareOptions(port));
  } catch (error) {
    await mf.dispose();
    throw error;
  }
  const url = await mf.ready;
  const db = await mf.getD1Database("DB", "receiver");
  const shards: Record<string, LocalD1> = {};
  for (const name of shardNames) shards[name] = await mf.getD1Database(name, "receiver");
  const consumerWorker = options.consumer === false ? null : await mf.getWorker("consumer");
  return {
    url: url.origin,
    mf,
    db,
    shards,
    shardDb: (name) => {
      const shard = shards[name];
      if (!shard) throw new Error(`this stack runs ${shardNames.join(", ")}, not ${name}`);
      return shard;
    },
    gigRows: (sql, ...params) => gigRows({ db, shards }, sql, ...params),
    gigCount: (sql, ...params) => gigCount({ db, shards }, sql, ...params),
    runCron: async (scheduledTime = new Date()) => {
      if (!consumerWorker) throw new Error("this stack runs without the consumer");
      await consumerWorker.scheduled({ scheduledTime, cron: "*/5 * * * *" });
    },
    dispose: () => mf.dispose(),
  };
}

/** The gig shards a stack started with `option` under `env` runs (GIG_SHARDS, else wrangler.toml's). */
export function localShardCount(
  option: number | undefined,
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
): number {
  return shardCount(option, env, configuredShards(workerOptions("wrangler.toml").d1Databases));
}

type QueueConsumerOptions = {
  maxBatchTimeout?: number;
  retryDelay?: number;
  maxRetries?: number;
  maxBatchSize?: number;
};

/** The miniflare options wrangler derives from a config file (bindings, D1, queues, crons). */
function workerOptions(configFile: string) {
  const options = unstable_getMiniflareWorkerOptions(path.join(ROOT, configFile)).workerOptions;
  return {
    ...options,
    bindings: (options.bindings ?? {}) as Record<string, unknown>,
    serviceBindings: (options.serviceBindings ?? {}) as Record<string, unknown>,
    queueConsumers: (options.queueConsumers ?? {}) as Record<string, QueueConsumerOptions>,
    compatibilityFlags: (options.compatibilityFlags ?? []) as string[],
    d1Databases: (options.d1Databases ?? {}) as Record<string, { id: string }>,
  };
}
