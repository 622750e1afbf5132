/**
 * The page frame: navigation, logout, and the same-origin stylesheet and script (the CSP allows
 * nothing else). `csrf` is the session's token for the logout form; absent on the login page.
 * @module
 */
import type { Child } from "hono/jsx";
import { CSRF_FIELD } from "./csrf.ts";

export type Screen = "overview" | "accounts" | "events" | "failures" | "alerts";

const NAV: [Screen, string, string][] = [
  ["overview", "Overview", "/console"],
  ["accounts", "Accounts", "/console/accounts"],
  ["events", "Events", "/console/events"],
  ["failures", "Failures", "/console/failures"],
  ["alerts", "Alerts", "/console/alerts"],
];

export interface LayoutProps {
  title: string;
  screen?: Screen;
  /** The session's CSRF token; shows the logout button. */
  csrf?: string;
  /** Who is signed in, when known (Access mode: the Access identity). */
  who?: string;
  /** Seconds between self-refreshes (progressive enhancement). */
  refresh?: number;
  children?: Child;
}

export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${props.title} · Argyle mirror console`}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/console.js" defer />
      </head>
      <body data-refresh={props.refresh ? String(props.refresh) : undefined}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <span class="brand">Argyle mirror</span>
          {props.screen && (
            <nav aria-label="Console">
              <ul>
                {NAV.map(([screen, label, href]) => (
                  <li>
                    <a href={href} aria-current={screen === props.screen ? "page" : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {props.csrf && (
            <form method="post" action="/console/logout">
              {props.who && <span class="muted">{props.who} </span>}
              <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
              <button type="submit" class="secondary">
                Log out
              </button>
            </form>
          )}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A small POST form with the CSRF token and hidden fields: the console's only way to change anything. */
export function ActionForm(props: {
  action: string;
  csrf: string;
  label: string;
  fields?: Record<string, string | undefined>;
  secondary?: boolean;
}) {
  return (
    <form method="post" action={props.action} class="inline">
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      {Object.entries(props.fields ?? {}).map(([name, value]) =>
        value ? <input type="hidden" name={name} value={value} /> : null,
      )}
      <button type="submit" class={props.secondary ? "secondary" : undefined}>
        {props.label}
      </button>
    </form>
  );
}

export function Time(props: { iso: string | null; text: string }) {
  return props.iso ? <time datetime={props.iso}>{props.text}</time> : <span class="muted">{props.text}</span>;
}

export function Badge(props: { value: string }) {
  return <span class={`badge s-${props.value}`}>{props.value}</span>;
}

export function Notice(props: { children?: Child; error?: boolean }) {
  return (
    <p class={props.error ? "notice error" : "notice"} role={props.error ? "alert" : "status"}>
      {props.children}
    </p>
  );
}
