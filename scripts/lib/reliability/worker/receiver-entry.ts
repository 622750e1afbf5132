/**
 * Test build of the receiver: the real Worker, handed a D1 database and jobs queue that fail when
 * the test process says so. Every response lists the binding calls made before it (with what
 * was injected) in `x-binding-calls`, so a test can tell an injected 503 from a real one. Bundled only by the
 * reliability suites (`startStack({ entries })`), never deployed.
 * @module
 */
import type { ReceiverEnv } from "../../../../src/receiver/env.ts";
import receiver from "../../../../src/receiver/index.ts";
import { BINDING_CALLS_HEADER } from "../fault-protocol.ts";
import { faultyD1, faultyQueue, faultyShards } from "./faulty-bindings.ts";
import { Invocation } from "./invocation.ts";

type Env = ReceiverEnv & { FAULTS: Fetcher };

export default {
  async fetch(request, env, ctx) {
    const invocation = new Invocation("receiver", env.FAULTS);
    const faulty: ReceiverEnv = {
      ...env,
      DB: faultyD1(env.DB, invocation),
      ...faultyShards(env, invocation),
      JOBS: faultyQueue(env.JOBS, "JOBS", invocation),
    };
    const response = await receiver.fetch(request, faulty, ctx);
    const marked = new Response(response.body, response);
    marked.headers.set(BINDING_CALLS_HEADER, invocation.calls.join(","));
    return marked;
  },
} satisfies ExportedHandler<Env>;
