/**
 * Avro schema JSON, as registered in the schema registry and carried on every SinkTable (record-sink.ts).
 * The schemas/ floor builds these (schemas/src/avro-mapping.ts); the contracts only name their shape.
 */
/** Avro schema JSON as registered: a type name, a union, or a type object with properties. */
export type AvroSchema = string | readonly AvroSchema[] | AvroTypeObject;
export interface AvroTypeObject {
  readonly type: string;
  readonly [prop: string]: unknown;
}
export interface AvroField {
  readonly name: string;
  readonly type: AvroSchema;
  readonly default?: unknown;
  readonly [prop: string]: unknown;
}
export interface AvroRecordSchema extends AvroTypeObject {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly fields: readonly AvroField[];
}
