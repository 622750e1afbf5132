/**
 * `npm run argyle -- webhooks <create|list|delete>`: manages Argyle webhook subscriptions, on
 * the API named by ARGYLE_API_URL or the local Argyle. `--help` for usage; the logic is in
 * scripts/lib/argyle-*.ts.
 * @module
 */
import { runArgyle } from "./lib/argyle/run.ts";
import { processIo } from "./lib/common/cli-io.ts";

process.exitCode = await runArgyle(process.argv.slice(2), process.env, processIo());
