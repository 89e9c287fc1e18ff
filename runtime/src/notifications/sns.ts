/**
 * SNS destination: one Publish per event, the message in DMS's layout (payloads.ts), with message attributes
 * category and task for SNS subscription filter policies. On a FIFO topic (.fifo) the event id is the
 * MessageDeduplicationId and the task the MessageGroupId, so SNS itself drops a redelivery within its 5-minute window.
 */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Secret } from '../config/secrets.ts';
import type { TaskEvent } from '../events/task-events.ts';
import type { NotificationDestination } from './destination.ts';
import { snsSubject, toSnsMessage } from './payloads.ts';
import { awsClientTls } from '../aws/aws-tls.ts';

export interface SnsOptions {
  readonly name: string;
  readonly topicArn: string;
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly accessKeyId?: string | undefined;
  readonly secretAccessKey?: Secret | undefined;
}

export async function snsDestination(o: SnsOptions): Promise<NotificationDestination> {
  const { SNSClient, PublishCommand } = await import('@aws-sdk/client-sns');
  const region = o.region ?? o.topicArn.split(':')[3] ?? process.env['AWS_REGION'] ?? 'us-east-1';
  const client = new SNSClient({
    region, maxAttempts: 1, // retries are the notifier's (backoff, then dead letters)
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey.reveal() } } : {}),
    ...awsClientTls(), // AWS_CA_BUNDLE (runtime/src/aws/aws-tls.ts)
  });
  const fifo = o.topicArn.endsWith('.fifo');
  return {
    name: o.name,
    type: 'sns',
    where: o.topicArn,
    async send(event: TaskEvent, signal: AbortSignal): Promise<void> {
      try {
        await client.send(new PublishCommand({
          TopicArn: o.topicArn,
          Subject: snsSubject(event),
          Message: JSON.stringify(toSnsMessage(event)),
          MessageAttributes: {
            category: { DataType: 'String', StringValue: event.category },
            task: { DataType: 'String', StringValue: event.task },
          },
          ...(fifo ? { MessageGroupId: event.task, MessageDeduplicationId: event.id } : {}),
        }), { abortSignal: signal });
      } catch (e: unknown) {
        throw new FerryError('FERRY_NOTIFICATION_DELIVERY', `SNS Publish to ${o.topicArn} (subscription ${o.name}) failed: ${signal.aborted ? 'no answer in time' : errorMessage(e)}`, { cause: e });
      }
    },
    close: async () => client.destroy(),
  };
}
