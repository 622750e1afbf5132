/**
 * Helpers for the CLI tests: captured output, and a tiny HTTP server whose answers each test
 * scripts (a receiver with a read API, or a misbehaving Argyle).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { CliIo } from "../../../scripts/lib/common/cli-io.ts";

export interface CapturedIo extends CliIo {
  stdout: string[];
  stderr: string[];
  /** Everything printed, stdout then stderr. */
  all(): string;
}

/** A CliIo that records lines instead of printing them (not a terminal). */
export function captureIo(): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    write: (text) => stdout.push(text),
    isTTY: false,
    all: () => [...stdout, ...stderr].join("\n"),
  };
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  json?: unknown;
}

export interface FakeServer {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Serves `answer` for every request on an ephemeral port, recording each request. */
export async function startFakeServer(answer: (request: SeenRequest) => Answer | Promise<Answer>): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const seen = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(seen);
      void Promise.resolve(answer(seen)).then(({ status, json }) => {
        if (json === undefined) res.writeHead(status).end();
        else res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
