/**
 * Runs the local Argyle until Ctrl-C:
 *   node scripts/local-argyle.ts --port 8788 --latency 25 [--seed 7] [--accounts 12,60,450]
 * Prints the API base URL, the credentials and the control API's routes.
 * @module
 */
import { parseArgs } from "node:util";
import { startLocalArgyle } from "./lib/common/local-argyle-server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8788" },
    host: { type: "string", default: "127.0.0.1" },
    latency: { type: "string", default: "0" },
    seed: { type: "string" },
    accounts: { type: "string" },
    "key-id": { type: "string" },
    "key-secret": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(
    "usage: node scripts/local-argyle.ts [--port 8788] [--host 127.0.0.1] [--latency ms] [--seed n]\n" +
      "                                   [--accounts 12,60,450] [--key-id id] [--key-secret secret]",
  );
  process.exit(0);
}

const server = await startLocalArgyle({
  port: wholeNumber(values.port, "--port"),
  host: values.host,
  faults: { latencyMs: wholeNumber(values.latency, "--latency") },
  ...(values.seed === undefined ? {} : { seed: /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed }),
  ...(values.accounts === undefined
    ? {}
    : { accounts: values.accounts.split(",").map((n) => ({ gigs: wholeNumber(n.trim(), "--accounts") })) }),
  ...(values["key-id"] === undefined ? {} : { keyId: values["key-id"] }),
  ...(values["key-secret"] === undefined ? {} : { keySecret: values["key-secret"] }),
});

console.log(`local Argyle listening: ${server.url}`);
console.log(`  ARGYLE_API_URL=${server.url}`);
console.log(`  ARGYLE_API_KEY_ID=${server.credentials.keyId}`);
console.log(`  ARGYLE_API_KEY_SECRET=${server.credentials.keySecret}`);
for (const account of server.store.accounts()) {
  console.log(`  account ${account.id} user ${account.user} (${server.store.gigsOf(account.id).length} gigs)`);
}
console.log(`control: ${server.origin}/_local/{accounts,stats,faults,mutate}; Ctrl-C stops`);

let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

function wholeNumber(text: string | undefined, flag: string): number {
  if (text === undefined || !/^\d+$/.test(text)) {
    console.error(`${flag} needs a whole number, got ${text}`);
    process.exit(2);
  }
  return Number(text);
}
