/**
 * Direct mode: a RecordSink running in-process behind a source, with no Kafka in between. It plugs into the
 * pipeline (runtime/src/pipeline/Pipeline.ts) as an ordinary Sink, which already gives the same guarantees as the
 * sink worker: batching by events and time, a bounded queue (backpressure), retries with backoff, and the order
 *   sink durable → offset committed → source acknowledged.
 * This adapter adds what the pipeline does not know about:
 *  - Records identical to Kafka mode: each event takes an in-memory Avro round trip through the same Envelope and
 *    Key schemas the Kafka sink registers (no registry, no broker), so values, field names and SinkTable match.
 *  - Deterministic identity: (source position, event ordinal). Events sharing a position (one transaction) are
 *    numbered 1, 2, ... in order; snapshot reads are 0. A retried write numbers the same events the same way, and a
 *    redelivered transaction (the source resumes at transaction boundaries) restarts its numbering at 1.
 *  - Dead letters: events that cannot be encoded, and records the sink rejects, go to a DeadLetterQueue (by
 *    default a JSON-lines file), then the batch counts as written.
 */
import type { Type } from 'avsc';
import { errorMessage } from '../../../core/src/errors.ts';
import type { ChangeEvent, Logger, MetricsRegistry, Sink, SinkContext } from '../../../core/src/types.ts';
import { EventEncoder } from '../../../schemas/src/event-encoder.ts';
import type { ConnectorKind, TableAvroSchemas } from '../../../schemas/src/envelope-schema.ts';
import { sinkTableFromAvro } from './avro-table.ts';
import type { DeadLetter, DeadLetterQueue } from './dead-letter.ts';
import { directStream } from './record-identity.ts';
import { SinkMetrics } from './sink-metrics.ts';
import type { Envelope, RecordSink, SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';

export interface DirectSinkAdapterOptions {
  readonly sink: RecordSink;
  readonly connector: ConnectorKind;
  /** The task's topic prefix (names tables and topics exactly as Kafka mode would). */
  readonly topicPrefix: string;
  readonly deadLetters: DeadLetterQueue;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}

interface Compiled {
  readonly table: SinkTable;
  readonly envelope: Type;
  readonly key: Type | null;
}

interface Numbering {
  readonly position: string | null;
  readonly next: number;
}

export class DirectSinkAdapter implements Sink {
  readonly #o: DirectSinkAdapterOptions;
  readonly #encoder: EventEncoder;
  readonly #compiled = new WeakMap<TableAvroSchemas, Compiled>();
  readonly #stream: string;
  readonly #sm: SinkMetrics;
  #numbering: Numbering = { position: null, next: 1 };

  constructor(options: DirectSinkAdapterOptions) {
    this.#o = options;
    this.#encoder = new EventEncoder({ connector: options.connector, topicPrefix: options.topicPrefix });
    this.#stream = directStream(options.topicPrefix);
    this.#sm = new SinkMetrics(options.metrics, options.sink.name);
  }

  get sink(): RecordSink {
    return this.#o.sink;
  }

  #compile(event: ChangeEvent): Compiled {
    const schemas = this.#encoder.schemas.get(event.table);
    let c = this.#compiled.get(schemas);
    if (c === undefined) {
      const types = this.#encoder.types(event.table);
      c = {
        table: sinkTableFromAvro(schemas.envelope, schemas.key, { topic: schemas.topic, schema: event.table.id.schema, table: event.table.id.table, version: `v${event.table.version}` }),
        envelope: types.envelope,
        key: types.key,
      };
      this.#compiled.set(schemas, c);
    }
    return c;
  }

  /** Events → records (pure: the numbering state is returned, and kept only once the write succeeded). */
  toRecords(events: readonly ChangeEvent[], numbering: Numbering = this.#numbering): { records: SinkRecord[]; letters: DeadLetter[]; numbering: Numbering } {
    const records: SinkRecord[] = [];
    const letters: DeadLetter[] = [];
    let { position, next } = numbering;
    for (const e of events) {
      const pos = e.source.position as string;
      let ordinal = 0;
      if (e.op !== 'r') {
        if (pos !== position) {
          position = pos;
          next = 1;
        }
        ordinal = next++;
      }
      try {
        const c = this.#compile(e);
        const valueBuf = c.envelope.toBuffer(this.#encoder.envelopeRecord(e));
        const envelope = c.envelope.fromBuffer(valueBuf) as Envelope;
        const keyRecord = c.key === null ? null : this.#encoder.keyRecord(e);
        const keyBuf = keyRecord === null ? null : c.key!.toBuffer(keyRecord);
        records.push({
          topic: c.table.topic, stream: this.#stream, partition: null, offset: null, position: pos, event: ordinal,
          key: keyBuf === null ? null : (c.key!.fromBuffer(keyBuf) as Record<string, unknown>), envelope, table: c.table,
          timestampMs: e.tsMs, sizeBytes: valueBuf.length + (keyBuf?.length ?? 0),
        });
      } catch (err: unknown) {
        letters.push({
          stage: 'decode', reason: `cannot encode the event as Avro: ${errorMessage(err)}`, topic: `${e.table.id.schema}.${e.table.id.table}`,
          partition: null, offset: null, position: pos, event: ordinal, key: null, value: null, headers: new Map(), timestampMs: e.tsMs,
          json: { op: e.op, key: e.key, before: e.before, after: e.after, source: e.source },
        });
      }
    }
    return { records, letters, numbering: { position, next } };
  }

  async write(events: readonly ChangeEvent[], ctx: SinkContext): Promise<void> {
    const { records, letters, numbering } = this.toRecords(events);
    const t0 = performance.now();
    const res = records.length > 0 ? await this.#o.sink.write(records, { signal: ctx.signal, log: this.#o.log, metrics: this.#o.metrics, report: this.#sm.reporter }) : undefined;
    const seconds = (performance.now() - t0) / 1000;
    const rejected = new Set<SinkRecord>();
    for (const r of res?.rejected ?? []) {
      if (rejected.has(r.record)) continue;
      rejected.add(r.record);
      const rec = r.record;
      letters.push({
        stage: 'sink', reason: r.reason, topic: rec.topic, partition: null, offset: null, position: rec.position, event: rec.event,
        key: null, value: null, headers: new Map(), timestampMs: rec.timestampMs, json: { key: rec.key, envelope: rec.envelope },
      });
    }
    if (letters.length > 0) {
      await this.#o.deadLetters.send(letters, this.#o.sink.name);
      this.#o.log.warn({ deadLetters: letters.length, reason: letters[0]!.reason }, `${letters.length} event${letters.length === 1 ? '' : 's'} sent to ${this.#o.deadLetters.target}`);
    }
    this.#sm.batchWritten(rejected.size > 0 ? records.filter((r) => !rejected.has(r)) : records, seconds);
    this.#sm.deadLettered('sink', rejected.size);
    this.#sm.deadLettered('decode', letters.length - rejected.size);
    this.#numbering = numbering;
  }

  async flush(): Promise<void> {
    // write() resolves only when the sink is durable.
  }

  async close(): Promise<void> {
    await this.#o.sink.close();
    await this.#o.deadLetters.close();
  }
}
