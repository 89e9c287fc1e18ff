/**
 * The transactional outbox event router (docs/outbox.md), with the semantics and defaults of Debezium's outbox event
 * router (io.debezium.transforms.outbox.EventRouter). Called by the Kafka event sink: write() takes a batch's change
 * events, produces those of outbox tables as outbox records and returns the others for the table topics;
 * writeMessages() does the same for PostgreSQL logical-decoding messages with a configured prefix. Both resolve only
 * once Kafka acknowledged every record (acks=all), so the pipeline commits past an outbox event only after it is durable.
 *
 *   - inserts (and snapshot reads, as Debezium) become a record on topic `topic` with ${routedByValue} = the aggregate
 *     type, key = the aggregate id (one aggregate → one partition → its order), header `id` = the event id, header
 *     `type` = the event type, and the additional fields as headers or envelope fields;
 *   - deletes and truncates of outbox rows are skipped (the usual clean-up); updates are skipped with a warning or an
 *     error, or stop the task (onUpdate, Debezium table.op.invalid.behavior);
 *   - payloadFormat json: the value is the payload JSON as UTF-8 bytes (bytes columns as they are), key the aggregate
 *     id as UTF-8 text; with envelope fields the value is the JSON object {payload, <fields>};
 *   - payloadFormat avro: key "string" and the value in Avro, Confluent wire format, with the schema derived from the
 *     payloads (payload-schema.ts) registered under <topic>-value and widened as new shapes arrive.
 */
import type { Type } from 'avsc';
import { FerryError } from '../../../core/src/errors.ts';
import type { ChangeEvent, Logger, MetricsRegistry, SchemaRegistry, SinkContext, SourceMessage, TableSchema } from '../../../core/src/types.ts';
import { avscType } from '../../../schemas/src/avro-types.ts';
import { encodeWire } from '../../../schemas/src/event-encoder.ts';
import { keySubject, valueSubject } from '../../../schemas/src/naming.ts';
import type { OutboxEntry } from '../config/outbox-settings.ts';
import type { OutgoingRecord, RecordProducer } from '../kafka/kafka-client.ts';
import { bytesOf, fromMessage, fromRow, jsonValueOf, missingColumns, missingColumnsError, textOf, type OutboxEvent } from './outbox-event.ts';
import { avroName, fromAvro, mergeShapes, shapeOf, toAvro, type Shape } from './payload-schema.ts';

export interface OutboxRouterOptions {
  readonly entries: readonly OutboxEntry[];
  readonly producer: RecordProducer;
  /** With latestVersion (the Confluent client), derived Avro schemas continue from the subject's latest version after a restart. */
  readonly registry: SchemaRegistry & { latestVersion?(subject: string): Promise<{ readonly id: number; readonly schema: object } | null> };
  /** Creates a topic (idempotent, cached): the Kafka event sink's, with the kafka block's partitions and replication. */
  readonly ensureTopic: (topic: string) => Promise<void>;
  readonly metrics: MetricsRegistry;
}

interface AvroTopic { shape: Shape; schema: string; type: Type | null; id: number }

const KEY_SCHEMA = 'string';
let keyType: Type | undefined;

export class OutboxRouter {
  readonly #o: OutboxRouterOptions;
  readonly #tables = new Map<string, OutboxEntry>();
  readonly #prefixes = new Map<string, OutboxEntry>();
  readonly #checked = new WeakSet<TableSchema>();
  readonly #avro = new Map<string, Promise<AvroTopic>>();
  readonly #keyIds = new Map<string, Promise<number>>();
  readonly #routed;
  readonly #skipped;

  constructor(options: OutboxRouterOptions) {
    this.#o = options;
    for (const e of options.entries) {
      if (e.table !== undefined) this.#tables.set(e.table, e);
      if (e.messagePrefix !== undefined) this.#prefixes.set(e.messagePrefix, e);
    }
    this.#routed = options.metrics.counter('outbox_events_total', 'Outbox events produced, by topic', ['topic']);
    this.#skipped = options.metrics.counter('outbox_skipped_total', 'Outbox table changes skipped (updates, deletes, truncates), by table and operation', ['table', 'op']);
  }

  /** The logical-decoding message prefixes the source must pass on. */
  get messagePrefixes(): readonly string[] {
    return [...this.#prefixes.keys()];
  }

  /** Produces the outbox tables' events among `events` (acknowledged by Kafka) and returns the other events, in order. */
  async write(events: readonly ChangeEvent[], ctx: Pick<SinkContext, 'log'>): Promise<readonly ChangeEvent[]> {
    if (this.#tables.size === 0) return events;
    let rest: ChangeEvent[] | null = null;
    const routed: [OutboxEntry, OutboxEvent][] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const name = `${e.source.schema ?? e.source.db}.${e.source.table}`;
      const entry = this.#tables.get(name);
      if (entry === undefined) {
        rest?.push(e);
        continue;
      }
      rest ??= events.slice(0, i);
      if (e.op === 'c' || e.op === 'r') {
        if (!this.#checked.has(e.table)) {
          const missing = missingColumns(entry, e.table);
          if (missing.length > 0) throw missingColumnsError(entry, missing, e.table.columns.map((c) => c.name));
          this.#checked.add(e.table);
        }
        routed.push([entry, fromRow(entry, e)]);
      } else {
        this.#skipped.inc({ table: name, op: e.op });
        if (e.op === 'u') this.#invalidOp(entry, e, ctx.log);
      }
    }
    if (rest === null) return events;
    await this.#produce(routed);
    return rest;
  }

  /** Produces the messages with a configured prefix as outbox events (acknowledged by Kafka); others are ignored. */
  async writeMessages(messages: readonly SourceMessage[]): Promise<void> {
    const routed: [OutboxEntry, OutboxEvent][] = [];
    for (const m of messages) {
      const entry = this.#prefixes.get(m.prefix);
      if (entry !== undefined) routed.push([entry, fromMessage(entry, m)]);
    }
    await this.#produce(routed);
  }

  #invalidOp(entry: OutboxEntry, e: ChangeEvent, log: Logger): void {
    const msg = `an UPDATE of outbox table ${entry.table} at ${e.source.position} was skipped: an outbox table is a queue, only its inserts are events (settings.outbox[].onUpdate: ${entry.onUpdate})`;
    if (entry.onUpdate === 'fatal') throw new FerryError('FERRY_UNSUPPORTED', `${msg.replace(' was skipped', ' stops the task')}. Insert a new event instead of updating one, or set onUpdate to warn`, { disposition: 'fatal' });
    if (entry.onUpdate === 'error') log.error({ table: entry.table, position: e.source.position }, msg);
    else log.warn({ table: entry.table, position: e.source.position }, msg);
  }

  async #produce(routed: readonly [OutboxEntry, OutboxEvent][]): Promise<void> {
    if (routed.length === 0) return;
    const topics = routed.map(([entry, ev]) => topicOf(entry, ev));
    for (const t of new Set(topics)) await this.#o.ensureTopic(t);
    const values = await this.#values(routed, topics);
    const records: OutgoingRecord[] = [];
    for (let i = 0; i < routed.length; i++) {
      const [entry, ev] = routed[i]!;
      const topic = topics[i]!;
      const key = ev.aggregateId === null ? null
        : entry.payloadFormat === 'avro' ? encodeWire(keyType ??= avscType({ type: KEY_SCHEMA }), await this.#keyId(topic), avroKeyText(ev.aggregateId), 'outbox key')
          : bytesOf(ev.aggregateId);
      records.push({ topic, key, value: values[i]!, headers: headersOf(entry, ev), timestampMs: ev.tsMs });
    }
    await this.#o.producer.send(records);
    let last = '';
    let n = 0;
    for (const t of topics) {
      if (t !== last && n > 0) { this.#routed.inc({ topic: last }, n); n = 0; }
      last = t;
      n++;
    }
    this.#routed.inc({ topic: last }, n);
  }

  /** The record values; Avro ones after widening and registering each topic's schema for this batch's payloads. */
  async #values(routed: readonly [OutboxEntry, OutboxEvent][], topics: readonly string[]): Promise<(Buffer | null)[]> {
    const out: (Buffer | null)[] = new Array(routed.length).fill(null);
    const avro = new Map<string, number[]>();
    const plain: unknown[] = new Array(routed.length);
    for (let i = 0; i < routed.length; i++) {
      const [entry, ev] = routed[i]!;
      if (isEmpty(ev.payload) && (entry.tombstoneOnEmptyPayload || entry.additionalFields.every((f) => f.placement !== 'envelope'))) continue;
      if (entry.payloadFormat === 'json') {
        out[i] = jsonValue(entry, ev);
        continue;
      }
      plain[i] = avroValue(entry, ev);
      const list = avro.get(topics[i]!) ?? [];
      list.push(i);
      avro.set(topics[i]!, list);
    }
    for (const [topic, idx] of avro) {
      const state = await this.#avroTopic(topic);
      let shape = state.shape;
      for (const i of idx) shape = mergeShapes(shape, shapeOf(plain[i]));
      const schema = JSON.stringify(toAvro(shape, avroName(topic)));
      if (schema !== state.schema || state.type === null) {
        const parsed = JSON.parse(schema) as unknown;
        const avsc = (typeof parsed === 'string' ? { type: parsed } : parsed) as object;
        state.id = await this.#o.registry.register(valueSubject(topic), avsc);
        state.type = avscType(avsc);
        state.shape = shape;
        state.schema = schema;
      }
      for (const i of idx) out[i] = encodeWire(state.type, state.id, plain[i], `outbox value for ${topic}`);
    }
    return out;
  }

  #avroTopic(topic: string): Promise<AvroTopic> {
    let p = this.#avro.get(topic);
    if (!p) {
      p = (async () => {
        const latest = await this.#o.registry.latestVersion?.(valueSubject(topic));
        const shape = latest ? fromAvro(latest.schema) : null;
        return shape ? { shape, schema: JSON.stringify(toAvro(shape, avroName(topic))), type: null, id: latest!.id } : { shape: {}, schema: '', type: null, id: 0 };
      })();
      p.catch(() => this.#avro.delete(topic));
      this.#avro.set(topic, p);
    }
    return p;
  }

  #keyId(topic: string): Promise<number> {
    let p = this.#keyIds.get(topic);
    if (!p) {
      p = this.#o.registry.register(keySubject(topic), { type: KEY_SCHEMA });
      p.catch(() => this.#keyIds.delete(topic));
      this.#keyIds.set(topic, p);
    }
    return p;
  }
}

/** The topic of an event: the template with ${routedByValue} = the aggregate type; characters Kafka refuses become "_". */
export function topicOf(entry: OutboxEntry, ev: OutboxEvent): string {
  if (ev.aggregateType === null || ev.aggregateType === '') {
    throw new FerryError('FERRY_SOURCE_ERROR', `outbox event ${ev.where} has no aggregate type (${entry.columns.aggregateType} is null or empty), so it has no topic. Make the column NOT NULL (docs/outbox.md)`, { disposition: 'fatal', details: { id: ev.id === null ? null : String(textOf(ev.id)) } });
  }
  const routedBy = textOf(ev.aggregateType);
  const value = typeof routedBy === 'string' ? routedBy : routedBy.toString('hex');
  return entry.topic.replaceAll('${routedByValue}', value).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 249);
}

function isEmpty(payload: unknown): boolean {
  return payload === null || payload === '' || (Buffer.isBuffer(payload) && payload.length === 0);
}

function headersOf(entry: OutboxEntry, ev: OutboxEvent): Map<string, Buffer> {
  const h = new Map<string, Buffer>();
  if (ev.id !== null) h.set('id', bytesOf(ev.id));
  if (entry.columns.type !== null && ev.type !== null) h.set('type', bytesOf(ev.type));
  for (const f of entry.additionalFields) {
    const v = ev.fields[f.column];
    if (f.placement === 'header' && v !== null && v !== undefined) h.set(f.alias ?? f.column, bytesOf(v));
  }
  return h;
}

/** The payload as a JSON value: message content as it is, JSON text parsed (text that is not JSON stays a string), bytes as base64. */
function payloadJson(ev: OutboxEvent): unknown {
  if (ev.parsed || ev.payload === null) return ev.payload;
  if (Buffer.isBuffer(ev.payload)) return ev.payload.toString('base64');
  if (typeof ev.payload !== 'string') return jsonValueOf(ev.payload);
  try {
    return JSON.parse(ev.payload);
  } catch {
    return ev.payload;
  }
}

function envelopeOf(entry: OutboxEntry, ev: OutboxEvent, payload: unknown): Record<string, unknown> {
  const o: Record<string, unknown> = { payload };
  for (const f of entry.additionalFields) if (f.placement === 'envelope') o[f.alias ?? f.column] = jsonValueOf(ev.fields[f.column] ?? null);
  return o;
}

function jsonValue(entry: OutboxEntry, ev: OutboxEvent): Buffer {
  if (entry.additionalFields.some((f) => f.placement === 'envelope')) {
    return Buffer.from(JSON.stringify(envelopeOf(entry, ev, payloadJson(ev)), (_k, x: unknown) => (Buffer.isBuffer(x) ? x.toString('base64') : x)), 'utf8');
  }
  if (ev.parsed) return Buffer.from(JSON.stringify(ev.payload), 'utf8');
  return bytesOf(ev.payload);
}

function avroValue(entry: OutboxEntry, ev: OutboxEvent): unknown {
  const payload = Buffer.isBuffer(ev.payload) ? ev.payload : payloadJson(ev);
  return entry.additionalFields.some((f) => f.placement === 'envelope') ? envelopeOf(entry, ev, payload) : payload;
}

function avroKeyText(v: unknown): string {
  const t = textOf(v);
  return typeof t === 'string' ? t : t.toString('hex');
}
