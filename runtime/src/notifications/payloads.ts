/**
 * What each destination receives for a TaskEvent (docs/notifications.md#payloads):
 *   - webhook and Kafka: a CloudEvent 1.0 in structured JSON mode (specversion, id, source, type, time, subject,
 *     datacontenttype, data);
 *   - SNS: a JSON message in the layout of DMS's SNS notifications ("Event Source", "Event Time", "SourceId",
 *     "Event Categories", "Event Message", "Event ID"), with Ferry's fields beside them.
 * The event's idempotency id is the CloudEvent id and the SNS "Event ID", so a receiver deduplicates on it.
 */
import type { TaskEvent } from '../events/task-events.ts';

export interface CloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly subject?: string;
  readonly datacontenttype: 'application/json';
  readonly data: {
    readonly task: string;
    readonly category: string;
    readonly dmsCategory: string;
    readonly table?: string;
    readonly message: string;
    readonly details: Readonly<Record<string, unknown>>;
  };
}

/** CloudEvents type prefix: io.ferry.task.<category>. */
export const CLOUDEVENT_TYPE_PREFIX = 'io.ferry.task.';

export function toCloudEvent(e: TaskEvent): CloudEvent {
  return {
    specversion: '1.0',
    id: e.id,
    source: `/ferry/tasks/${encodeURIComponent(e.task)}`,
    type: `${CLOUDEVENT_TYPE_PREFIX}${e.category}`,
    time: e.time,
    ...(e.table !== undefined ? { subject: e.table } : {}),
    datacontenttype: 'application/json',
    data: { task: e.task, category: e.category, dmsCategory: e.dmsCategory, ...(e.table !== undefined ? { table: e.table } : {}), message: e.message, details: e.details },
  };
}

/** The SNS message body (JSON), in DMS's layout. */
export function toSnsMessage(e: TaskEvent): Record<string, unknown> {
  return {
    'Event Source': 'replication-task',
    'Event Time': e.time,
    'SourceId': e.task,
    'Event Categories': [e.dmsCategory],
    'Event Message': e.message,
    'Event ID': e.id,
    'Category': e.category,
    ...(e.table !== undefined ? { Table: e.table } : {}),
    'Details': e.details,
  };
}

/** The SNS Subject (at most 100 printable ASCII characters, as SNS requires). */
export function snsSubject(e: TaskEvent): string {
  return `Ferry task ${e.task}: ${e.dmsCategory}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}
