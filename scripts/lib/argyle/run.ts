/**
 * `npm run argyle -- webhooks <create|list|delete>`: parse, pick the API, run the command,
 * print results on stdout and notes and errors on stderr. Returns the exit code.
 * @module
 */

import { CliFailure, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "../common/cli-errors.ts";
import type { CliIo } from "../common/cli-io.ts";
import { ARGYLE_USAGE, type ArgyleCommand, type CreateCommand, parseArgyleArgs } from "./args.ts";
import { type ArgyleApiConfig, argyleApiConfig, describeArgyleApi } from "./config.ts";
import { formatConfig, formatWebhookList } from "./webhook-list-format.ts";
import { generateSecret, subscriptionRequests } from "./webhook-subscriptions.ts";
import { createWebhook, deleteWebhook, listWebhooks, type Webhook } from "./webhooks-api.ts";

export async function runArgyle(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number> {
  let command: ArgyleCommand;
  let config: ArgyleApiConfig;
  try {
    command = parseArgyleArgs(argv);
    if (command.kind === "help") {
      io.out(ARGYLE_USAGE);
      return EXIT_OK;
    }
    config = argyleApiConfig(env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`argyle: ${error.message}`);
    io.err("run `npm run argyle -- --help` for usage");
    return EXIT_USAGE;
  }
  io.err(describeArgyleApi(config));
  try {
    switch (command.kind) {
      case "create":
        return await create(config, command, io);
      case "list":
        for (const line of formatWebhookList(await listWebhooks(config))) io.out(line);
        return EXIT_OK;
      case "delete":
        await deleteWebhook(config, command.id);
        io.out(`deleted ${command.id}`);
        return EXIT_OK;
    }
  } catch (error) {
    if (!(error instanceof CliFailure)) throw error;
    io.err(`argyle: ${error.message}`);
    return EXIT_FAILED;
  }
}

async function create(config: ArgyleApiConfig, command: CreateCommand, io: CliIo): Promise<number> {
  for (const note of urlNotes(command.url, config)) io.err(`note: ${note}`);
  const secret = command.secret ?? generateSecret();
  const requests = subscriptionRequests(command, secret);
  if (requests.length > 1) {
    io.out(
      "Argyle accepts config only for some events (gigs.partially_synced takes days_synced, the other gig events " +
        `take none), so this creates ${requests.length} subscriptions:`,
    );
  }
  const created: Webhook[] = [];
  let failure: CliFailure | null = null;
  for (const request of requests) {
    try {
      const webhook = await createWebhook(config, request);
      created.push(webhook);
      io.out(`created ${webhook.id}  events: ${webhook.events.join(",")}  config: ${formatConfig(webhook.config)}`);
    } catch (error) {
      if (!(error instanceof CliFailure)) throw error;
      failure = error;
      break;
    }
  }
  if (created.length > 0) printSecretSteps(io, command.secret === null ? secret : null, created.length, config);
  if (failure) {
    io.err(`argyle: ${failure.message}`);
    for (const webhook of created) {
      io.err(`argyle: ${webhook.id} was created; remove it with: npm run argyle -- webhooks delete ${webhook.id}`);
    }
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

/** The secret (when generated: this is the only time it is shown) and what to do with it. */
function printSecretSteps(io: CliIo, generated: string | null, count: number, config: ArgyleApiConfig): void {
  const both = count > 1 ? "Both subscriptions sign with it. " : "";
  io.out("");
  if (generated !== null) {
    io.out("Webhook secret (generated; shown only now, so store it before you go on):");
    io.out(`  ${generated}`);
    io.out(`${both}Give the receiver the same secret; wrangler asks for the value:`);
  } else {
    io.out(`${both}The receiver's ARGYLE_WEBHOOK_SECRET must be the secret you gave; set it with:`);
  }
  io.out("  npx wrangler secret put ARGYLE_WEBHOOK_SECRET --env production");
  io.out("  npx wrangler secret put ARGYLE_WEBHOOK_SECRET                    # the top-level environment");
  io.out(
    "If an older subscription still signs with the previous secret, keep that one as " +
      "ARGYLE_WEBHOOK_SECRET_PREVIOUS until you delete it.",
  );
  if (config.local) io.out("For npm run dev, restart it with ARGYLE_WEBHOOK_SECRET set to this secret.");
}

/** Mistakes worth a warning: a URL the real Argyle cannot reach, or not the receiver's webhook route. */
function urlNotes(text: string, config: ArgyleApiConfig): string[] {
  const url = new URL(text);
  const notes: string[] = [];
  if (!config.local && /^(localhost|127\.|\[::1\]|0\.0\.0\.0)/.test(url.hostname)) {
    notes.push(`Argyle cannot reach ${url.host} from the internet; give the receiver's public URL`);
  }
  if (!/\/webhooks\/argyle\/?$/.test(url.pathname)) {
    notes.push(`the receiver takes webhooks at /webhooks/argyle, and ${text} has path ${url.pathname}`);
  }
  return notes;
}
