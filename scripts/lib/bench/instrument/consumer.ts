/**
 * The consumer Worker, unchanged, under the I/O meter (benchmark cost figures only). Its
 * `fetch` serves the meter's totals; the real consumer has no fetch handler.
 * @module
 */

import type { ConsumerEnv } from "../../../../src/consumer/env.ts";
import consumer from "../../../../src/consumer/index.ts";
import { ioTotalsResponse, metered, meterQueues } from "./io-meter.ts";

export default {
  fetch() {
    return ioTotalsResponse();
  },
  queue(batch, env, ctx) {
    return metered(env, ctx, () => consumer.queue(batch, meterQueues(env)));
  },
  scheduled(controller, env, ctx) {
    return metered(env, ctx, () => consumer.scheduled(controller, meterQueues(env)));
  },
} satisfies ExportedHandler<ConsumerEnv, unknown>;
