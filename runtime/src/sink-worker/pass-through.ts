/**
 * Pass-through reading for sinks that forward records as they are (the Kafka target), used when the task's topics are
 * not Debezium's Avro envelope (settings.format / settings.flatten, docs/formats.md): no record is decoded; each
 * becomes a SinkRecord holding its bytes (`valueBytes`, and the raw record in `ctx.input`), named after its topic;
 * a null value is a tombstone. Reading `envelope` or `key` of such a record is a fatal error that names the setting.
 * The worker's metrics count these records with op "forwarded".
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { Op } from '../../../core/src/types.ts';
import type { Envelope, SinkTable } from '../../../core/src/record-sink.ts';
import type { IncomingRecord } from '../kafka/kafka-client.ts';
import { LazySinkRecord, type DecodeOutcome } from './record-decoder.ts';

/** The op label of forwarded records in the worker's metrics. */
export const FORWARDED_OP = 'forwarded' as Op;

/** A record forwarded without decoding. */
export class PassThroughRecord extends LazySinkRecord {
  /** The record's key bytes as read (null: no key). */
  readonly keyBytes: Buffer | null;

  constructor(rec: IncomingRecord, stream: string, table: SinkTable) {
    super(rec, stream, table, {} as never, null, null);
    this.keyBytes = rec.key !== null && rec.key.length > 0 ? rec.key : null;
    this.decodedOp = FORWARDED_OP;
    this.decodedSourceMs = null;
  }

  override get envelope(): Envelope {
    throw new FerryError('FERRY_CONFIG_INVALID', `the record at ${this.topic}/${this.partition}@${this.offset} is forwarded undecoded: the task's settings.format / settings.flatten make its topics something other than the Avro envelope (docs/formats.md)`, { disposition: 'fatal' });
  }

  override get key(): null {
    return null;
  }
}

/**
 * The key of a forwarded record as text, for sinks that need a string per key (Kinesis partition keys): JSON keys as
 * their text, Confluent-framed keys (JSON Schema, Protobuf, Avro) as base64 of their bytes; null for other records.
 */
export function forwardedKeyText(r: unknown): string | null {
  if (!(r instanceof PassThroughRecord) || r.keyBytes === null) return null;
  return r.keyBytes[0] === 0 ? r.keyBytes.toString('base64') : r.keyBytes.toString('utf8');
}

/** RecordDecoder's interface, without decoding. */
export class PassThroughDecoder {
  readonly #tables = new Map<string, SinkTable>();

  decode(rec: IncomingRecord, stream: string): DecodeOutcome {
    if (rec.value === null || rec.value.length === 0) return { kind: 'tombstone' };
    let table = this.#tables.get(rec.topic);
    if (table === undefined) {
      const parts = rec.topic.split('.');
      table = {
        topic: rec.topic, schema: parts.length >= 3 ? parts[parts.length - 2]! : '', table: parts[parts.length - 1]!, columns: [], primaryKey: [],
        version: 'forwarded', valueSchema: { type: 'record', name: 'Forwarded', fields: [] }, keySchema: null,
      };
      this.#tables.set(rec.topic, table);
    }
    return { kind: 'record', record: new PassThroughRecord(rec, stream, table) };
  }

  async prefetch(_ids: readonly number[]): Promise<void> {
    // Nothing is decoded, so no schema is ever missing.
  }
}
