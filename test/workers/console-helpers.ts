/**
 * Helpers for the console tests: a browser-like client that keeps the session cookie, reads the
 * CSRF token out of the page it was given, and posts forms the way a browser does.
 */
import type { ReceiverEnv } from "../../src/receiver/env.ts";
import { API_TOKEN, ORIGIN } from "./api-helpers.ts";
import { callReceiver } from "./helpers.ts";

export class ConsoleClient {
  cookie: string | null = null;
  lastSetCookie: string | null = null;

  readonly env: Partial<ReceiverEnv>;
  readonly ip: string;

  constructor(env: Partial<ReceiverEnv> = {}, ip = "198.51.100.7") {
    this.env = env;
    this.ip = ip;
  }

  async request(
    path: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { "cf-connecting-ip": this.ip, ...init.headers };
    if (this.cookie) headers.cookie = this.cookie;
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers.origin ??= ORIGIN;
      body = new URLSearchParams(init.form).toString();
    }
    const res = await callReceiver(
      new Request(`${ORIGIN}${path}`, {
        method: init.method ?? (init.form ? "POST" : "GET"),
        headers,
        body,
        redirect: "manual",
      }),
      this.env,
    );
    const set = res.headers.get("set-cookie");
    if (set) {
      this.lastSetCookie = set;
      const pair = set.split(";")[0] ?? "";
      this.cookie = /max-age=0/i.test(set) || pair.endsWith("=") ? null : pair;
    }
    return res;
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Response> {
    return this.request(path, { form, ...(headers ? { headers } : {}) });
  }

  async login(token = API_TOKEN): Promise<Response> {
    return this.post("/console/login", { token });
  }

  /** The CSRF token on `path`'s page (every signed-in page carries one in its logout form). */
  async csrf(path = "/console"): Promise<string> {
    const html = await (await this.get(path)).text();
    const match = /name="_csrf" value="([0-9a-f]{64})"/.exec(html);
    if (!match?.[1]) throw new Error(`no CSRF token on ${path}`);
    return match[1];
  }
}
