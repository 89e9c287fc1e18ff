/**
 * settings.notifications: event notifications (docs/notifications.md), declared once here. Subscriptions name a
 * destination (an SNS topic, an HTTP webhook signed with HMAC-SHA256, or a Kafka topic of CloudEvents) and filters
 * (categories, tasks, tables); delivery (runtime/src/notifications/) is asynchronous, at least once, with retries and
 * backoff, then a dead-letter file. One flat subscription object with a `type` (rather than a union) so every key is
 * listed in docs/configuration.md; the keys of another type are refused.
 */
import { z } from 'zod';
import { Secret } from './secrets.ts';
import { EVENT_CATEGORY_NAMES } from '../events/task-events.ts';

export const NOTIFICATION_DESTINATIONS = ['sns', 'webhook', 'kafka'] as const;

// Declared here rather than imported from settings-schema.ts, which imports this file.
const secret = () => z.string().min(1).meta({ secret: true }).transform((s) => new Secret(s));

const OWN_KEYS = {
  sns: ['topicArn', 'region', 'endpoint', 'accessKeyId', 'secretAccessKey'],
  webhook: ['url', 'secret', 'headers'],
  kafka: ['topic', 'brokers'],
} as const;
const REQUIRED_KEYS = { sns: ['topicArn'], webhook: ['url', 'secret'], kafka: ['topic'] } as const;

export const notificationSubscriptionSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, ".", "_" or "-"').meta({ description: 'Name of the subscription: in logs, metrics and dead letters (DMS SubscriptionName).' }),
  type: z.enum(NOTIFICATION_DESTINATIONS).meta({ description: 'Destination: sns (an SNS topic, one Publish per event), webhook (an HTTPS/HTTP POST signed with HMAC-SHA256), kafka (a topic of CloudEvents in structured JSON mode).' }),
  enabled: z.boolean().default(true).meta({ description: 'false keeps the subscription declared but sends nothing (DMS Enabled).' }),
  categories: z.array(z.enum(EVENT_CATEGORY_NAMES)).min(1).optional().meta({ description: 'Event categories sent (DMS EventCategories; docs/notifications.md lists them). Default: all.' }),
  tasks: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Task names whose events are sent (DMS SourceIds). Default: any task.' }),
  tables: z.array(z.string().regex(/^[^.\s]+\.[^.\s]+$/, 'expected "<schema>.<table>"')).min(1).optional().meta({ description: 'Only events about these tables ("<schema or db>.<table>", as in the source); events that concern no table (failure, state change) are still sent. Default: any table.' }),
  topicArn: z.string().regex(/^arn:[^:]+:sns:[^:]*:[^:]*:[^:]+$/, 'expected an SNS topic ARN arn:aws:sns:<region>:<account>:<name>').optional().meta({ description: 'sns: the topic ARN.', examples: ['arn:aws:sns:us-east-1:123456789012:ferry-events'] }),
  region: z.string().min(1).optional().meta({ description: 'sns: AWS region. Default: the topic ARN’s region.' }),
  endpoint: z.url().optional().meta({ description: 'sns: an SNS-compatible endpoint (moto, LocalStack).', examples: ['http://127.0.0.1:5000'] }),
  accessKeyId: z.string().min(1).optional().meta({ description: 'sns: access key id. Default: the AWS SDK’s credential chain.' }),
  secretAccessKey: secret().optional().meta({ description: 'sns: secret access key (with accessKeyId). Use ${env:NAME} or ${file:path}.', secret: true }),
  url: z.url({ protocol: /^https?$/ }).optional().meta({ description: 'webhook: the URL each event is POSTed to. Any 2xx answer is a delivery; anything else (or no answer within timeoutMs) is retried.', examples: ['https://hooks.example.com/ferry'] }),
  secret: secret().optional().meta({ description: 'webhook: the HMAC-SHA256 key; each request carries X-Ferry-Signature: v1=<hex HMAC of "<timestamp>.<body>"> and X-Ferry-Timestamp (docs/notifications.md#verifying-a-webhook). Use ${env:NAME} or ${file:path}.', secret: true }),
  headers: z.array(z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name (letters, digits, "-")').meta({ description: 'Header name.' }),
    value: z.string().meta({ description: 'Header value (sent as given: not a secret field).' }),
  })).optional().meta({ description: 'webhook: extra request headers (e.g. a routing key); the X-Ferry-* headers, content-type, content-length and host cannot be overridden.' }),
  topic: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, ".", "_" or "-"').max(249).optional().meta({ description: 'kafka: the topic CloudEvents are produced to (created with one partition if missing); the record key is the task name, so one task’s events keep their order.' }),
  brokers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected "host:port"')).min(1).optional().meta({ description: 'kafka: bootstrap brokers. Default: the task’s kafka.brokers (required without a kafka block).' }),
}).superRefine((s, ctx) => {
  const own = OWN_KEYS[s.type] as readonly string[];
  for (const [type, keys] of Object.entries(OWN_KEYS)) {
    if (type === s.type) continue;
    for (const k of keys) {
      if ((s as Record<string, unknown>)[k] !== undefined && !own.includes(k)) ctx.addIssue({ code: 'custom', path: [k], message: `"${k}" belongs to a ${type} subscription, and this one is ${s.type}`, input: undefined });
    }
  }
  for (const k of REQUIRED_KEYS[s.type]) {
    if ((s as Record<string, unknown>)[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: `a ${s.type} subscription needs "${k}"`, input: undefined });
  }
});

export const notificationSettingsSchema = z.strictObject({
  subscriptions: z.array(notificationSubscriptionSchema).default([])
    .refine((a) => new Set(a.map((s) => s.name)).size === a.length, 'two subscriptions share a name')
    .meta({ description: 'Where task events go (docs/notifications.md). Empty: no notifications.' }),
  queueCapacity: z.int().min(1).max(1000000).default(1000).meta({ description: 'Events each subscription holds while its destination is slow or down; when full, the oldest waiting event goes to the dead letters (never blocking the task).' }),
  maxAttempts: z.int().min(1).max(100).default(8).meta({ description: 'Delivery attempts per event and subscription (the first and the retries) before it goes to the dead letters.' }),
  initialBackoffMs: z.int().min(1).max(600000).default(500).meta({ description: 'Wait before the first retry; doubled after each (with ±20% jitter), up to maxBackoffMs.' }),
  maxBackoffMs: z.int().min(1).max(3600000).default(60000).meta({ description: 'Longest wait between two attempts.' }),
  timeoutMs: z.int().min(100).max(600000).default(10000).meta({ description: 'Longest one delivery attempt may take (an HTTP request, an SNS Publish, a Kafka produce) before it counts as failed.' }),
  drainTimeoutMs: z.int().min(0).max(600000).default(5000).meta({ description: 'When the task stops, how long queued events may still be delivered; what is left stays in the spool (<stateDir>/notifications/spool.jsonl) and is sent at the next start.' }),
  checkIntervalSeconds: z.int().min(1).max(86400).default(60).meta({ description: 'How often the low-storage and retention-at-risk conditions are checked while the task runs.' }),
  lowStorageFreeMb: z.int().min(0).max(100000000).default(1024).meta({ description: 'low-storage fires when the file system of stateDir has less than this many MiB free; 0 = never.' }),
  slotLagBytesAtRisk: z.int().min(0).default(1073741824).meta({ description: 'retention-at-risk (PostgreSQL) fires when the replication slot holds back more than this many bytes of WAL (pg_slot_lag_bytes); 0 = never.' }),
  binlogRetentionAtRiskPercent: z.int().min(0).max(100).default(50).meta({ description: 'retention-at-risk (MySQL/MariaDB) fires when the task’s source lag passes this percentage of the server’s binlog_expire_logs_seconds (read at start); 0 = never.' }),
  deadLetterTopic: z.string().regex(/^[A-Za-z0-9_.-]+$/).max(249).optional().meta({ description: 'Also produce dead letters to this Kafka topic (the task’s kafka.brokers), besides the file <stateDir>/notifications/dead-letters.jsonl.' }),
}).prefault({}).meta({ description: 'Event notifications: SNS, signed webhooks and a Kafka topic of CloudEvents, filtered by category, task and table (docs/notifications.md).' });

export type NotificationSettings = z.output<typeof notificationSettingsSchema>;
export type NotificationSubscription = NotificationSettings['subscriptions'][number];

/** Cross-field rules on the whole task: Kafka destinations need brokers (their own, or the task's kafka block). */
export function notificationProblems(t: { readonly kafka?: unknown; readonly settings: { readonly notifications: NotificationSettings } }): { path: (string | number)[]; message: string }[] {
  const n = t.settings.notifications;
  const out: { path: (string | number)[]; message: string }[] = [];
  if (t.kafka) return out;
  n.subscriptions.forEach((s, i) => {
    if (s.type === 'kafka' && s.brokers === undefined) out.push({ path: ['settings', 'notifications', 'subscriptions', i, 'brokers'], message: `kafka subscription ${s.name} needs brokers: set them, or give the task a kafka block` });
  });
  if (n.deadLetterTopic !== undefined) out.push({ path: ['settings', 'notifications', 'deadLetterTopic'], message: 'deadLetterTopic is produced with the task\'s kafka.brokers, and this task has no kafka block: remove it (dead letters always go to <stateDir>/notifications/dead-letters.jsonl)' });
  return out;
}
