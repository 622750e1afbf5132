/**
 * What the numbers were measured on: the machine and the versions of everything that ran.
 * @module
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../common/stack.ts";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  versions: Record<string, string>;
}

export function describeMachine(): Machine {
  const require = createRequire(path.join(ROOT, "package.json"));
  const version = (pkg: string, from = require) => {
    try {
      return (JSON.parse(readFileSync(from.resolve(`${pkg}/package.json`), "utf8")) as { version: string }).version;
    } catch {
      return "unknown";
    }
  };
  // workerd is the one miniflare itself depends on (the runtime the benchmark ran on).
  const fromMiniflare = createRequire(require.resolve("miniflare/package.json"));
  return {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    versions: {
      node: process.versions.node,
      workerd: version("workerd", fromMiniflare),
      miniflare: version("miniflare"),
      wrangler: version("wrangler"),
      autocannon: version("autocannon"),
    },
  };
}
