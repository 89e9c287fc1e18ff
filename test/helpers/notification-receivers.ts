/**
 * Independent receivers for notification tests (docs/notifications.md), none of them Ferry's notification code:
 *   - an HTTP webhook receiver that checks each request's HMAC-SHA256 signature and timestamp itself (node:crypto),
 *     and can answer 500 for the first n requests, or never answer;
 *   - an SNS topic on moto with an SQS queue subscribed to it, read back with ReceiveMessage;
 *   - a Kafka topic read back with the Kafka client (readTopicToEnd).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readTopicToEnd } from '../../runtime/src/kafka/kafka-client.ts';
import { services } from './services.ts';

export const AWS_TEST = { endpoint: services.motoUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } as const;

export interface WebhookRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The signature matched HMAC-SHA256(secret, "<timestamp>.<body>") and the timestamp was within 300 s of now. */
  readonly verified: boolean;
  readonly json: Record<string, unknown>;
  /** What the receiver answered (0: never answered). */
  readonly status: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly requests: WebhookRequest[];
  /** The verified requests answered 2xx: what was delivered. */
  delivered(): WebhookRequest[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(o: { readonly secret: string; readonly failFirst?: number; readonly hang?: boolean }): Promise<WebhookReceiver> {
  const requests: WebhookRequest[] = [];
  let seen = 0;
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-ferry-timestamp'] ?? '');
      const expected = Buffer.from(`v1=${createHmac('sha256', o.secret).update(`${ts}.${body}`).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-ferry-signature'] ?? ''));
      const fresh = /^\d+$/.test(ts) && Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
      const verified = fresh && given.length === expected.length && timingSafeEqual(given, expected);
      seen++;
      const status = o.hang ? 0 : !verified ? 401 : seen <= (o.failFirst ?? 0) ? 500 : 204;
      requests.push({ headers: req.headers, body, verified, json: JSON.parse(body) as Record<string, unknown>, status });
      if (status === 0) { hanging.add(res); return; }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/ferry?token=abc`,
    requests,
    delivered: () => requests.filter((r) => r.verified && r.status >= 200 && r.status < 300),
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface SnsQueue {
  readonly topicArn: string;
  /** Every SNS notification received so far: the SNS envelope's Subject and parsed Message, in arrival order. */
  readonly messages: { subject: string; message: Record<string, unknown>; attributes: Record<string, string> }[];
  /** Receives what is waiting (ReceiveMessage, deleting what it read) and adds it to `messages`. */
  poll(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A moto SNS topic with an SQS queue subscribed to it. */
export async function snsTopicWithQueue(name: string): Promise<SnsQueue> {
  const sns = new SNSClient(AWS_TEST);
  const sqs = new SQSClient(AWS_TEST);
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: attrs.Attributes!['QueueArn']! }));
  const messages: SnsQueue['messages'] = [];
  return {
    topicArn: TopicArn!,
    messages,
    async poll() {
      for (;;) {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
        const got = r.Messages ?? [];
        if (got.length === 0) return;
        for (const m of got) {
          const envelope = JSON.parse(m.Body!) as { Subject: string; Message: string; MessageAttributes?: Record<string, { Value: string }> };
          messages.push({ subject: envelope.Subject, message: JSON.parse(envelope.Message) as Record<string, unknown>, attributes: Object.fromEntries(Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value])) });
        }
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: got.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    },
    async cleanup() {
      await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
      await sns.send(new DeleteTopicCommand({ TopicArn })).catch(() => undefined);
      sns.destroy();
      sqs.destroy();
    },
  };
}

/** The CloudEvents on a Kafka topic (value parsed as JSON), with their record keys and content-type header. */
export async function readCloudEvents(topic: string): Promise<{ key: string; contentType: string; event: Record<string, unknown> }[]> {
  const records = await readTopicToEnd({ brokers: services.brokers, clientId: 'ferry-test-notifications-reader', topic, timeoutMs: 20000 }).catch(() => []);
  return records.map((r) => ({ key: r.key?.toString('utf8') ?? '', contentType: r.headers.get('content-type')?.toString('utf8') ?? '', event: JSON.parse(r.value!.toString('utf8')) as Record<string, unknown> }));
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
