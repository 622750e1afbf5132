/**
 * `npm run shards -- list | open NAME | close NAME | move ACCOUNT --to NAME [--wait] | show ACCOUNT`:
 * shard administration against a receiver's admin API. `--help` for the options; the logic is in
 * scripts/lib/shards/.
 * @module
 */
import { processIo } from "./lib/common/cli-io.ts";
import { runShards } from "./lib/shards/run.ts";

process.exitCode = await runShards(process.argv.slice(2), process.env, processIo());
