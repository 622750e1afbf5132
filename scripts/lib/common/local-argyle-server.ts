/**
 * Serves the local Argyle over real HTTP with @hono/node-server, for dev runs, benchmarks and
 * tests that need a socket (timeouts, aborts, a consumer calling it with fetch).
 * @module
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createLocalArgyle, type LocalArgyle, type LocalArgyleOptions } from "../../../src/local-argyle/app.ts";

export interface LocalArgyleServerOptions extends LocalArgyleOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: nothing outside this machine can reach it. */
  host?: string;
}

export interface LocalArgyleServer extends Omit<LocalArgyle, "app"> {
  /** Argyle's API base, like https://api.argyle.com/v2: e.g. http://127.0.0.1:8788/v2. */
  url: string;
  /** e.g. http://127.0.0.1:8788 (the control API is at `${origin}/_local`). */
  origin: string;
  app: LocalArgyle["app"];
  /** Stops listening and drops open connections (hanging requests included). */
  close: () => Promise<void>;
}

/** Starts a local Argyle and resolves once it listens. */
export async function startLocalArgyle(options: LocalArgyleServerOptions = {}): Promise<LocalArgyleServer> {
  const { port = 0, host = "127.0.0.1", ...rest } = options;
  const argyle = createLocalArgyle(rest);
  const { server, address } = await new Promise<{ server: ReturnType<typeof serve>; address: AddressInfo }>(
    (resolve, reject) => {
      const server = serve({ fetch: argyle.app.fetch, port, hostname: host }, (address) =>
        resolve({ server, address }),
      );
      server.once("error", reject);
    },
  );
  const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const origin = `http://${hostPart}:${address.port}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Hanging requests (the timeout fault) would otherwise keep close() waiting for hangMs.
      if ("closeAllConnections" in server) server.closeAllConnections();
    });
    return closing;
  };
  return { ...argyle, url: `${origin}/v2`, origin, close };
}
