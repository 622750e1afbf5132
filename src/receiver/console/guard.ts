/**
 * Who may use the console: in Access mode, whoever Cloudflare Access signed the request for;
 * otherwise whoever holds a valid session cookie. Every POST also needs the session's CSRF token.
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { ReceiverEnv } from "../env.ts";
import { accessConfig, verifyAccess } from "./access.ts";
import { consoleSecret } from "./admin-token.ts";
import { CSRF_FIELD, checkCsrf, csrfToken } from "./csrf.ts";
import { readSession } from "./session.ts";

export interface Principal {
  /** What the CSRF token is bound to: the session id, or the Access identity. */
  binding: string;
  csrf: string;
  /** Shown in the header in Access mode; never a secret. */
  who?: string;
  secret: string;
}

export type ConsoleEnv = { Bindings: ReceiverEnv; Variables: { principal: Principal } };

/** A plain-text refusal: console errors are for people, and say nothing about internals. */
function refuse(c: Context, status: 401 | 403 | 503, text: string): Response {
  return c.text(text, status, { "cache-control": "no-store" });
}

/** Requires a principal; GETs without one go to the login form, other methods get 401. */
export const requirePrincipal: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const secret = consoleSecret(c.env);
  if (!secret) return refuse(c, 503, "The console is off: no admin token is set (API_TOKEN_ADMIN).");
  const access = accessConfig(c.env);
  if (access) {
    const who = await verifyAccess(c.req.raw, access);
    if (!who) return refuse(c, 403, "This console is behind Cloudflare Access: sign in through Access.");
    const binding = `access:${who}`;
    c.set("principal", { binding, csrf: await csrfToken(secret, binding), who, secret });
  } else {
    const session = await readSession(c, secret);
    if (!session) {
      if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect("/console/login", 303);
      return refuse(c, 401, "Your session has ended: sign in again.");
    }
    const binding = `session:${session.id}`;
    c.set("principal", { binding, csrf: await csrfToken(secret, binding), secret });
  }
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    const form = await c.req.parseBody();
    const { binding, secret: key } = c.get("principal");
    if (!(await checkCsrf(key, binding, form[CSRF_FIELD]))) {
      return refuse(c, 403, "This form has expired or did not come from the console: reload the page and try again.");
    }
  }
  await next();
};
