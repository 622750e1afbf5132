/**
 * The POST /v2/webhooks bodies `webhooks create` sends. Argyle accepts `config` only on a
 * subscription whose every event takes it (gigs.partially_synced does, gigs.added does not),
 * so `--days-synced` splits the events in two subscriptions that share one secret.
 * @module
 */
import { randomBytes } from "node:crypto";
import { type CreateCommand, isPartiallySynced } from "./args.ts";

export interface SubscriptionRequest {
  name: string;
  url: string;
  events: string[];
  secret: string;
  config?: { days_synced: number };
}

/** The subscriptions to create for `command`, all signed with `secret`. */
export function subscriptionRequests(command: CreateCommand, secret: string): SubscriptionRequest[] {
  const { name, url, events, daysSynced } = command;
  if (daysSynced === null) return [{ name, url, events, secret }];
  const configured = events.filter(isPartiallySynced);
  const rest = events.filter((e) => !isPartiallySynced(e));
  const requests: SubscriptionRequest[] = [
    { name, url, events: configured, secret, config: { days_synced: daysSynced } },
  ];
  if (rest.length > 0) requests.push({ name, url, events: rest, secret });
  return requests;
}

/** A webhook secret: 32 random bytes (256 bits, as strong as the HMAC key can use), base64url. */
export function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}
