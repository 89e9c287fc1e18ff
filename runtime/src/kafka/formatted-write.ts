/**
 * KafkaEventSink's path for tasks with settings.format other than avro or with settings.flatten (docs/formats.md):
 * the records of a batch through EventFormatter (schemas/src/formats/event-formatter.ts), produced in event order and
 * acknowledged by all in-sync replicas before write() resolves, as the default path does. The default path (the Avro
 * envelope, unflattened) never comes here.
 */
import type { ChangeEvent, Counter, TableId } from '../../../core/src/types.ts';
import { FerryError } from '../../../core/src/errors.ts';
import { EventFormatter, type FormattedRecord, type OutputFormat } from '../../../schemas/src/formats/event-formatter.ts';
import type { FlattenOptions } from '../../../schemas/src/flatten.ts';
import type { EventEncoder } from '../../../schemas/src/event-encoder.ts';
import type { SchemaRegistry } from '../../../core/src/types.ts';
import type { OutgoingRecord } from './kafka-client.ts';
import { eventHeaders } from './event-headers.ts';

/** settings.format and settings.flatten as the Kafka event sink takes them. */
export interface KafkaOutputOptions {
  readonly format: OutputFormat;
  /** The flattening of a table (null: the envelope). */
  readonly flatten: (table: TableId) => FlattenOptions | null;
}

export interface FormattedWriterOptions {
  readonly output: KafkaOutputOptions;
  readonly encoder: EventEncoder;
  readonly registry: SchemaRegistry;
  readonly tombstonesOnDelete: boolean;
  readonly transactionMetadata: boolean;
  readonly partition: number;
}

/** Turns a batch into records with the task's format and flattening. */
export class FormattedWriter {
  readonly #formatter: EventFormatter;
  readonly #partition: number;

  constructor(o: FormattedWriterOptions) {
    if (o.transactionMetadata) {
      throw new FerryError('FERRY_CONFIG_INVALID', `settings.provideTransactionMetadata writes Debezium's Avro transaction block and BEGIN/END records; it needs settings.format avro without settings.flatten (this task: format ${o.output.format}${o.output.format === 'avro' ? ' with flatten' : ''}). Turn one of them off`, { disposition: 'fatal' });
    }
    this.#partition = o.partition;
    this.#formatter = new EventFormatter({
      format: o.output.format, flatten: o.output.flatten, tombstonesOnDelete: o.tombstonesOnDelete, registry: o.registry,
      encoder: o.encoder, connector: o.encoder.schemas.options.connector,
    });
  }

  /** The records of a batch, after each table version's schemas are registered and its topic exists. */
  async records(events: readonly ChangeEvent[], ensureTopic: (topic: string) => Promise<void>): Promise<OutgoingRecord[]> {
    const seen = new Set<ChangeEvent['table']>();
    for (const e of events) {
      if (seen.has(e.table)) continue;
      seen.add(e.table);
      await ensureTopic(this.#formatter.topicOf(e.table));
      await this.#formatter.prepare(e.table);
    }
    const out: FormattedRecord[] = [];
    const headers = new Map<number, ReadonlyMap<string, Buffer>>(); // record index → the unchanged-TOAST header of its event
    for (const e of events) {
      const at = out.length;
      this.#formatter.records(e, out);
      if (e.unchangedToast && out.length > at) headers.set(at, eventHeaders(e)!);
    }
    // A keyless table's records go to one partition, in log order (KafkaEventSink's KEYLESS_PARTITION).
    return out.map((r, i) => {
      const rec: OutgoingRecord = r.key === null ? { topic: r.topic, key: null, value: r.value, partition: this.#partition } : { topic: r.topic, key: r.key, value: r.value };
      const h = headers.get(i);
      return h ? { ...rec, headers: h } : rec;
    });
  }
}

/** kafka_records_total per topic (records with a value, not tombstones, as the default path counts events) and kafka_bytes_total. */
export function countProduced(records: readonly OutgoingRecord[], byTopic: Counter, bytes: Counter): void {
  const counts = new Map<string, number>();
  let total = 0;
  for (const r of records) {
    if (r.value !== null) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
    total += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  }
  for (const [topic, n] of counts) byTopic.inc({ topic }, n);
  bytes.inc(undefined, total);
}
