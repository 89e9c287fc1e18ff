/** One place notifications go: an SNS topic, a webhook, a Kafka topic (runtime/src/notifications/). */
import type { TaskEvent } from '../events/task-events.ts';

export interface NotificationDestination {
  /** The subscription's name. */
  readonly name: string;
  readonly type: 'sns' | 'webhook' | 'kafka';
  /** Where it sends, as it may be shown in logs (no secret, no token-bearing path). */
  readonly where: string;
  /** One delivery attempt; resolves once the destination accepted the event, throws otherwise. */
  send(event: TaskEvent, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
