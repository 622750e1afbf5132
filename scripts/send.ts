/**
 * `npm run send -- <event> [options]`: sends a correctly signed, realistic Argyle webhook to a
 * receiver and waits for the mirror to catch up. `--help` for the options; the logic is in
 * scripts/lib/send-*.ts.
 * @module
 */
import { processIo } from "./lib/common/cli-io.ts";
import { runSend } from "./lib/send/run.ts";

process.exitCode = await runSend(process.argv.slice(2), process.env, processIo());
