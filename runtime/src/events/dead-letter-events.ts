/**
 * table-errors events (docs/notifications.md): a wrapper of a sink's DeadLetterQueue (runtime/src/sink-worker/
 * dead-letter.ts) that, once a send of dead letters is durable, emits one event per table with how many records of it
 * were rejected, at which stage, and the first reason. The key is the sink and the first letter's place (its Kafka
 * topic, partition and offset, or in direct mode its source position and ordinal), so the same letters dead-lettered
 * again after a restart give the same id.
 */
import type { DeadLetter, DeadLetterQueue } from '../sink-worker/dead-letter.ts';
import { redact } from '../config/secrets.ts';
import type { TaskEventEmitter } from './task-events.ts';

/** The table a dead letter belongs to: its decoded table, else its topic ("<prefix>.<db>.<table>" → "<db>.<table>"). */
function tableOf(d: DeadLetter, topicPrefix: string | undefined): string {
  const t = d.topic;
  return topicPrefix && t.startsWith(`${topicPrefix}.`) ? t.slice(topicPrefix.length + 1) : t;
}

export function withTableErrorEvents(q: DeadLetterQueue, events: TaskEventEmitter | undefined, o: { readonly topicPrefix?: string } = {}): DeadLetterQueue {
  if (!events) return q;
  return {
    target: q.target,
    async send(letters, sinkName) {
      await q.send(letters, sinkName);
      const byTable = new Map<string, DeadLetter[]>();
      for (const d of letters) {
        const t = tableOf(d, o.topicPrefix);
        byTable.set(t, [...(byTable.get(t) ?? []), d]);
      }
      for (const [table, ls] of byTable) {
        const first = ls[0]!;
        const place = first.offset !== null ? `${first.topic}/${first.partition}/${first.offset}` : `${first.position ?? ''}/${first.event ?? ''}`;
        const reason = redact(first.reason);
        events.emit({
          category: 'table-errors', key: `${sinkName}\u0000${table}\u0000${place}`, table,
          message: `${ls.length} record${ls.length === 1 ? '' : 's'} of ${table} rejected by target ${sinkName} and sent to ${q.target}: ${reason.slice(0, 300)}`,
          details: { target: sinkName, records: ls.length, stage: first.stage, reason, deadLetters: q.target, first: place },
        });
      }
    },
    close: () => q.close(),
  };
}
