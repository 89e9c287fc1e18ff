/**
 * HTTP webhook destination: POST of the CloudEvent (structured mode, application/cloudevents+json), signed with
 * HMAC-SHA256 (docs/notifications.md#verifying-a-webhook):
 *
 *     X-Ferry-Timestamp: <unix seconds when this attempt was sent>
 *     X-Ferry-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *     X-Ferry-Event-Id:  <the event's idempotency id>
 *
 * Each attempt is signed anew with its own timestamp, so a receiver can refuse requests older than its replay window
 * (verifyWebhookSignature: 300 s by default) and deduplicate on the event id within it. Any 2xx is a delivery.
 * Neither the secret nor the URL's path and query (which often hold a token) appear in errors or logs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Secret } from '../config/secrets.ts';
import type { TaskEvent } from '../events/task-events.ts';
import { toCloudEvent } from './payloads.ts';
import type { NotificationDestination } from './destination.ts';

export const SIGNATURE_HEADER = 'x-ferry-signature';
export const TIMESTAMP_HEADER = 'x-ferry-timestamp';
export const EVENT_ID_HEADER = 'x-ferry-event-id';
const RESERVED = new Set([SIGNATURE_HEADER, TIMESTAMP_HEADER, EVENT_ID_HEADER, 'content-type', 'content-length', 'host']);

/** The signature header's value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface VerifyWebhookOptions {
  readonly secret: string;
  /** The raw request body, exactly as received. */
  readonly body: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  /** Replay window: requests whose timestamp is further than this from now are refused. Default 300. */
  readonly toleranceSeconds?: number;
  /** Now, in unix seconds (tests). */
  readonly now?: number;
}

/** Checks a webhook request: the timestamp within the window, and the signature in constant time. */
export function verifyWebhookSignature(o: VerifyWebhookOptions): { ok: true } | { ok: false; reason: string } {
  if (o.timestamp === undefined || !/^\d{1,12}$/.test(o.timestamp)) return { ok: false, reason: 'missing or malformed timestamp' };
  const ts = Number(o.timestamp);
  const now = o.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (o.toleranceSeconds ?? 300)) return { ok: false, reason: 'timestamp outside the replay window' };
  const expected = Buffer.from(signWebhook(o.secret, ts, o.body));
  const given = Buffer.from(o.signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

export interface WebhookOptions {
  readonly name: string;
  readonly url: string;
  readonly secret: Secret;
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
}

/** The URL as it may be shown: its origin only. */
export function shownUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid url)';
  }
}

export function webhookDestination(o: WebhookOptions): NotificationDestination {
  const where = shownUrl(o.url);
  const extra = (o.headers ?? []).filter((h) => !RESERVED.has(h.name.toLowerCase())).map((h): [string, string] => [h.name, h.value]);
  return {
    name: o.name,
    type: 'webhook',
    where,
    async send(event: TaskEvent, signal: AbortSignal): Promise<void> {
      const body = JSON.stringify(toCloudEvent(event));
      const timestamp = Math.floor(Date.now() / 1000);
      let res: Response;
      try {
        res = await fetch(o.url, {
          method: 'POST', body, signal, redirect: 'error',
          headers: [...extra, ['content-type', 'application/cloudevents+json'], ['user-agent', 'ferry-notifications/1'], [TIMESTAMP_HEADER, String(timestamp)], [SIGNATURE_HEADER, signWebhook(o.secret.reveal(), timestamp, body)], [EVENT_ID_HEADER, event.id]],
        });
      } catch (e: unknown) {
        // fetch's errors name the URL in their cause at most; keep the origin only.
        const why = signal.aborted ? 'no answer in time' : errorMessage((e as { cause?: unknown }).cause ?? e);
        throw new FerryError('FERRY_NOTIFICATION_DELIVERY', `webhook ${o.name} (${where}) could not be reached: ${why.split(o.url).join(where)}`);
      }
      // The body is read (and dropped) so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299) throw new FerryError('FERRY_NOTIFICATION_DELIVERY', `webhook ${o.name} (${where}) answered HTTP ${res.status}; any 2xx answer counts as delivered`);
    },
    close: async () => undefined,
  };
}
