/**
 * A local alert endpoint for `npm run dev`: it accepts what the consumer sends to
 * ALERT_WEBHOOK_URL (Slack or JSON format) and prints each notification in the terminal.
 * @module
 */
import { createServer, type Server } from "node:http";

export interface AlertSink {
  url: string;
  close(): Promise<void>;
}

/** `port` 0 picks a free one. `onBody` sees each raw body (tests and the reliability suite count them). */
export async function startAlertSink(options: {
  port: number;
  print?: (text: string) => void;
  onBody?: (body: string) => void;
}): Promise<AlertSink> {
  const print = options.print ?? ((text: string) => console.log(text));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST") {
        res.writeHead(405).end();
        return;
      }
      const body = Buffer.concat(chunks).toString("utf8");
      options.onBody?.(body);
      print(formatNotification(body));
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A notification body as terminal lines: Slack's text as is, or the JSON body's fields. */
export function formatNotification(body: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return `\n[alert] (unreadable body, ${body.length} bytes)\n`;
  }
  if (typeof parsed.text === "string") {
    return `\n${bar()}\n[alert] ${parsed.text.replaceAll("\n", "\n        ")}\n${bar()}\n`;
  }
  const alert = (parsed.alert ?? {}) as Record<string, unknown>;
  const lines = [
    `[alert] ${String(parsed.type)}: ${String(alert.title)}${alert.scope ? ` (account ${String(alert.scope)})` : ""}`,
    `        ${String(alert.summary)}`,
    `        since ${String(alert.since)}, affected ${String(alert.affected)}`,
    `        next step: ${String(alert.next_step)}`,
  ];
  return `\n${bar()}\n${lines.join("\n")}\n${bar()}\n`;
}

function bar(): string {
  return "-".repeat(72);
}
