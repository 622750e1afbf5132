/**
 * `npm run dry-run`'s check of the consumer's ARGYLE_API_URL in every environment: a base that
 * cannot be Argyle's v2 API (no `/v2`, not http(s)) is refused before deploying, with the same
 * rule (and message) the consumer applies at startup.
 * @module
 */
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { argyleApiUrlProblem } from "../../../src/domain/argyle-api-url.ts";
import { DEFAULT_ARGYLE_API_URL } from "../../../src/domain/argyle-client.ts";

/** One line per environment of `configPath` whose ARGYLE_API_URL is refused; empty when all pass. */
export function argyleUrlProblems(configPath: string, envs: readonly (string | undefined)[]): string[] {
  const problems: string[] = [];
  for (const env of envs) {
    const bindings = unstable_getMiniflareWorkerOptions(configPath, env).workerOptions.bindings as
      | Record<string, unknown>
      | undefined;
    const raw = bindings?.ARGYLE_API_URL;
    const url = typeof raw === "string" && raw.trim() !== "" ? raw.trim() : DEFAULT_ARGYLE_API_URL;
    const problem = argyleApiUrlProblem(url);
    if (problem !== null) problems.push(`${env ? `[env.${env}]` : "top level"}: ${problem}`);
  }
  return problems;
}
