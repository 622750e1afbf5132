/**
 * `npm run dev`: the whole product on this machine. The receiver and consumer Workers run in
 * workerd (miniflare) with local D1 databases, the catalog and the gig shards SHARD_1..SHARD_N
 * (GIG_SHARDS; default the 2 of wrangler.toml), kept in .wrangler/mirror-dev between runs, and
 * local queues; the local Argyle plays Argyle unless ARGYLE_API_URL points elsewhere.
 *
 *   npm run dev                 start (reuses the local database)
 *   npm run dev -- --fresh      start from empty databases
 *   npm run db:reset            delete every local database and exit
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { MIRRORED_EVENTS } from "../src/domain/lifecycle/plan.ts";
import { signBody } from "../src/domain/signature.ts";
import { basicAuthHeader } from "../src/local-argyle/app.ts";
import { type LocalArgyleServer, startLocalArgyle } from "./lib/common/local-argyle-server.ts";
import { ROOT, type Stack, startStack } from "./lib/common/stack.ts";
import { type AlertSink, startAlertSink } from "./lib/dev/alert-sink.ts";
import { type DevConfig, devConfig } from "./lib/dev/config.ts";
import { configuredCron, cronIntervalMs } from "./lib/dev/cron-schedule.ts";
import { formatLogLine } from "./lib/dev/log-format.ts";

const DATA_DIR = path.join(ROOT, ".wrangler", "mirror-dev");

async function main(): Promise<void> {
  let config: DevConfig;
  try {
    config = devConfig(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`npm run dev: ${(error as Error).message}`);
    process.exit(2);
  }
  if (config.fresh || config.resetOnly) {
    await rm(DATA_DIR, { recursive: true, force: true });
    // One directory holds the catalog and every shard (any GIG_SHARDS ever used): all go at once.
    console.log(`Local databases deleted: the catalog and every shard (${path.relative(ROOT, DATA_DIR)}).`);
    if (config.resetOnly) return;
  }

  let argyle: LocalArgyleServer | null = null;
  if (config.localArgylePort !== null) {
    try {
      argyle = await startLocalArgyle({ port: config.localArgylePort });
    } catch (error) {
      console.error(`Could not start the local Argyle on port ${config.localArgylePort}: ${(error as Error).message}`);
      console.error(
        "Is another `npm run dev` running? Set LOCAL_ARGYLE_PORT, or ARGYLE_API_URL to use another Argyle.",
      );
      process.exit(1);
    }
  }
  let sink: AlertSink | null = null;
  if (config.alertSinkPort !== null) {
    try {
      sink = await startAlertSink({ port: config.alertSinkPort });
    } catch (error) {
      await argyle?.close();
      console.error(`Could not start the alert sink on port ${config.alertSinkPort}: ${(error as Error).message}`);
      console.error("Set ALERT_SINK_PORT, or ALERT_WEBHOOK_URL to send alerts elsewhere.");
      process.exit(1);
    }
  }
  let stack: Stack;
  try {
    stack = await startStack({
      port: config.port,
      persistTo: DATA_DIR,
      shards: config.shards,
      receiverVars: config.receiverVars,
      consumerVars: config.consumerVars,
      onLog: (level, message) => console.log(formatLogLine(level, message)),
    });
  } catch (error) {
    await Promise.allSettled([argyle?.close(), sink?.close()]);
    console.error(`Could not start the Workers: ${(error as Error).message}`);
    console.error(`Is port ${config.port} free? Set PORT to use another one.`);
    process.exit(1);
  }
  if (argyle) {
    await subscribe(argyle, stack.url, config.receiverVars.ARGYLE_WEBHOOK_SECRET as string);
    await syncLocalAccounts(argyle, stack);
  }

  // miniflare does not fire cron triggers: fire the consumer's on its configured schedule.
  const cron = setInterval(
    () => {
      stack.runCron().catch((error: unknown) => console.error(`cron failed: ${(error as Error).message}`));
    },
    cronIntervalMs(configuredCron(ROOT)),
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(cron);
    console.log("\nStopping…");
    await Promise.allSettled([stack.dispose(), argyle?.close(), sink?.close()]);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  await printBanner(config, stack, argyle, sink);
}

/** An account of the local Argyle and two of its gigs, for the sample webhook. */
function localSample(argyle: LocalArgyleServer): { account: string; user: string; ids: string[] } | null {
  const account = argyle.store.accounts()[0];
  if (!account) return null;
  const ids = argyle.store
    .gigsOf(account.id)
    .slice(0, 2)
    .map((g) => String(g.id));
  return ids.length > 0 ? { account: account.id, user: account.user, ids } : null;
}

/**
 * On an empty database, has the local Argyle announce each of its accounts as fully synced, as
 * Argyle does when a user connects: the mirror backfills them, so the console shows them at once.
 */
async function syncLocalAccounts(argyle: LocalArgyleServer, stack: Stack): Promise<void> {
  if ((await stack.gigCount("SELECT COUNT(*) AS n FROM accounts")) > 0) return;
  for (const account of argyle.store.accounts()) {
    await argyle.mutate({ action: "fully_synced", account: account.id });
  }
}

/** Points the local Argyle's webhooks at the receiver, as `npm run argyle -- webhooks create` would. */
async function subscribe(argyle: LocalArgyleServer, receiverUrl: string, secret: string): Promise<void> {
  const response = await fetch(`${argyle.url}/webhooks`, {
    method: "POST",
    headers: {
      authorization: basicAuthHeader(argyle.credentials),
      "content-type": "application/json",
    },
    body: JSON.stringify({ name: "local-dev", url: `${receiverUrl}/webhooks/argyle`, secret, events: MIRRORED_EVENTS }),
  });
  if (!response.ok)
    throw new Error(`local Argyle refused the subscription: ${response.status} ${await response.text()}`);
}

async function printBanner(
  config: DevConfig,
  stack: Stack,
  argyle: LocalArgyleServer | null,
  sink: AlertSink | null,
): Promise<void> {
  const url = stack.url;
  const shards = Object.keys(stack.shards);
  const secret = config.receiverVars.ARGYLE_WEBHOOK_SECRET as string;
  const token = (config.receiverVars.API_TOKEN_ADMIN ?? config.receiverVars.API_TOKEN) as string;
  const lines = [
    "",
    "Argyle gig mirror: running locally",
    `  receiver        ${url}   (POST /webhooks/argyle, GET /v2/gigs, /api/*, /health)`,
    `  console         ${url}/console   (sign in with the API token below)`,
    `  Argyle API      ${config.consumerVars.ARGYLE_API_URL ?? "https://api.argyle.com/v2"}${argyle ? "   (local Argyle)" : ""}`,
    `  webhook secret  ${secret}`,
    `  API token       ${token}   (admin: /api/*, /v2/*, the console)`,
    ...(config.receiverVars.API_TOKEN_READ
      ? [`  read token      ${config.receiverVars.API_TOKEN_READ}   (/v2/* only)`]
      : []),
    `  databases       catalog DB + ${shards.length} gig shard${shards.length === 1 ? "" : "s"} (${shards.join(", ")}; GIG_SHARDS=N sets the count)`,
    `                  in ${path.relative(ROOT, DATA_DIR)} (npm run dev -- --fresh starts them all empty)`,
    `  alerts          ${sink ? `printed here (sink ${sink.url})` : "sent to ALERT_WEBHOOK_URL"}; cron ${configuredCron(ROOT)}`,
    "",
  ];
  const sample = argyle ? localSample(argyle) : null;
  // Without the local Argyle, a documented example: it is signed and accepted, and the consumer
  // then asks your Argyle for these (made-up) gigs.
  const account = sample?.account ?? "0187c66e-e7e5-811c-b006-2232f00f426a";
  const ids = sample?.ids ?? ["0187b43a-35fa-56e2-1a95-f7e4232a4b3a", "0187dbfa-6f5e-a33a-af26-7e12ff408fea"];
  const body = JSON.stringify({
    event: "gigs.updated",
    name: "local-dev",
    data: {
      account,
      user: sample?.user ?? "018051aa-f7a9-a0db-2f38-6cfa325e9d69",
      available_count: ids.length,
      updated_count: ids.length,
      updated_gigs: ids,
    },
  });
  lines.push(
    "Send a signed webhook:",
    `  curl -i ${url}/webhooks/argyle -H 'Content-Type: application/json' \\`,
    `    -H 'X-Argyle-Signature: ${await signBody(secret, body)}' \\`,
    `    --data-binary '${body}'`,
    "Read the gig back once stored:",
    `  curl -H 'Authorization: Bearer ${config.receiverVars.API_TOKEN_READ ?? token}' ${url}/v2/gigs/${ids[0]}`,
  );
  if (argyle) {
    lines.push(
      "Or let the local Argyle change gigs and send the webhook itself:",
      `  curl -X POST ${argyle.origin}/_local/mutate -H 'Content-Type: application/json' -d '{"action":"update","count":3}'`,
      "Or: npm run send -- gigs.updated",
    );
  }
  lines.push("");
  lines.push("Ctrl-C stops everything.", "");
  console.log(lines.join("\n"));
}

await main();
