/**
 * One replay path: the API route, the console and the bulk action all replay through
 * replayEvent (src/domain/replay.ts), so a change to how a replay is dated or recorded reaches
 * every caller. Nothing else calls ingest with `replayOf`.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/common/stack.ts";

const source = (file: string) => readFile(path.join(ROOT, file), "utf8");

describe("replay callers", () => {
  it.each(["src/receiver/events-routes.ts", "src/receiver/console/app.tsx", "src/domain/bulk-actions.ts"])(
    "%s replays through replayEvent",
    async (file) => {
      const text = await source(file);
      expect(text).toMatch(/\breplayEvent\(/);
      expect(text).not.toMatch(/replayOf\s*:/);
      expect(text).not.toMatch(/\bgetReplaySource\b/);
    },
  );
});
