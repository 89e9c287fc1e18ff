/**
 * CloudEvents 1.0, structured JSON mode, as Debezium's CloudEventsConverter writes it with JSON for both the event and
 * its data and the JsonConverter default schemas.enable=true (debezium/debezium: CloudEventsConverter,
 * CloudEventsMaker, MySqlCloudEventsMaker, PostgresCloudEventsMaker, RecordAndMetadataBaseImpl), 2026:
 *
 *   id               name:<prefix>;lsn:<lsn>;txId:<txId>;sequence:<sequence>   (PostgreSQL)
 *                    name:<prefix>;file:<binlog file>;pos:<pos>                 (MySQL, MariaDB)
 *   source           /debezium/<connector>/<prefix>
 *   specversion      1.0
 *   type             io.debezium.connector.<connector>.DataChangeEvent
 *   time             source.ts_ms as yyyy-MM-dd'T'HH:mm:ss.SSSZ (UTC)
 *   datacontenttype  application/json
 *   iodebeziumop     the op; then iodebezium<field> for every source-block field (its name without non-alphanumerics,
 *                    int64 values as strings), then iodebeziumtxid, iodebeziumtxtotalorder, iodebeziumtxdatacollectionorder
 *   data             {"schema": <JsonConverter schema of io.debezium.connector.<connector>.Data {before, after}>,
 *                     "payload": {"before": ..., "after": ...}}
 */
import type { ConnectSchema } from '../avro-mapping.ts';
import { sourceConnectSchema, TRANSACTION_BLOCK_SCHEMA, type ConnectorKind } from '../envelope-schema.ts';
import { compileJsonWriter, connectJsonSchema, jsonText, type JsonValue, type JsonWriter } from './connect-json.ts';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/** CloudEventsConverter#adjustExtensionName: iodebezium + the name's ASCII letters and digits. */
export function extensionName(name: string): string {
  return `iodebezium${name.replace(/[^A-Za-z0-9]/g, '')}`;
}

function two(n: number, len = 2): string {
  return String(n).padStart(len, '0');
}

/** CloudEventsMaker#ceTime: RFC 3339 in UTC with milliseconds. */
export function ceTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCFullYear(), 4)}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${two(d.getUTCMilliseconds(), 3)}Z`;
}

/** Builds the CloudEvents JSON of the change events of one table version. */
export class CloudEventsWriter {
  readonly #connector: ConnectorKind;
  readonly #source: ConnectSchema;
  readonly #data: ConnectSchema;
  readonly #dataSchemaText: string;
  readonly #payload: JsonWriter;

  constructor(connector: ConnectorKind, value: ConnectSchema) {
    this.#connector = connector;
    this.#source = sourceConnectSchema(connector);
    this.#data = {
      type: 'struct', optional: false, name: `io.debezium.connector.${connector}.Data`,
      fields: [{ name: 'before', schema: value }, { name: 'after', schema: value }],
    };
    this.#dataSchemaText = jsonText(connectJsonSchema(this.#data));
    this.#payload = compileJsonWriter(this.#data);
  }

  /** The event as CloudEvents JSON text. `envelope` is the Avro-shaped envelope (fields renamed, source record filled). */
  text(envelope: Readonly<Record<string, unknown>>): string {
    const src = envelope.source as Record<string, unknown>;
    const str = (v: unknown) => (v === null || v === undefined ? 'null' : String(v));
    const id = this.#connector === 'postgresql'
      ? `name:${str(src.name)};lsn:${str(src.lsn)};txId:${str(src.txId)};sequence:${str(src.sequence)}`
      : `name:${str(src.name)};file:${str(src.file)};pos:${str(src.pos)}`;
    const ce: Record<string, JsonValue> = {
      id,
      source: `/debezium/${this.#connector}/${str(src.name)}`,
      specversion: '1.0',
      type: `io.debezium.connector.${this.#connector}.DataChangeEvent`,
      time: ceTime(Number(src.ts_ms)),
      datacontenttype: 'application/json',
      [extensionName('op')]: envelope.op as string,
    };
    for (const f of this.#source.fields!) {
      const v = src[f.name];
      ce[extensionName(f.name)] = v === null || v === undefined ? null : f.schema.type === 'int64' ? String(v) : v as JsonValue;
    }
    const tx = envelope.transaction as Record<string, unknown> | null;
    for (const f of TRANSACTION_BLOCK_SCHEMA.fields!) {
      const v = tx?.[f.name];
      ce[extensionName(`tx${f.name}`)] = v === null || v === undefined ? null : f.schema.type === 'int64' ? String(v) : v as JsonValue;
    }
    const payload = this.#payload({ before: envelope.before, after: envelope.after });
    const head = jsonText(ce);
    return `${head.slice(0, -1)},"data":{"schema":${this.#dataSchemaText},"payload":${payload}}}`;
  }
}
