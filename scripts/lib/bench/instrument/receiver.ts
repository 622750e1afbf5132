/**
 * The receiver Worker, unchanged, under the I/O meter (benchmark cost figures only).
 * @module
 */

import type { ReceiverEnv } from "../../../../src/receiver/env.ts";
import app from "../../../../src/receiver/index.ts";
import { IO_PATH, ioTotalsResponse, metered, meterQueues } from "./io-meter.ts";

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === IO_PATH) return ioTotalsResponse();
    return metered(env, ctx, (meteredCtx) => Promise.resolve(app.fetch(request, meterQueues(env), meteredCtx)));
  },
} satisfies ExportedHandler<ReceiverEnv>;
