/**
 * Topic, record and subject names, reproducing Debezium's defaults with
 * `schema.name.adjustment.mode=avro` and `field.name.adjustment.mode=avro`
 * (debezium/debezium: SchemaNameAdjuster, ReplacementFunction, FieldNameUnderscoreReplacementFunction,
 * AbstractTopicNamingStrategy, DefaultTopicNamingStrategy, TableSchemaBuilder).
 *
 * Debezium's rules, exactly:
 * - A schema (record) full name may hold [A-Za-z0-9_.] and must start with [A-Za-z_]. Every other
 *   character becomes '_'. A leading digit is *kept* behind an added '_' ('1db.t' → '_1db.t');
 *   any other invalid leading character is replaced ('-x' → '_x'). Only the first character of
 *   the whole name is checked for "leading", not the first of each dotted part.
 * - A field name follows the same rules without '.' (a '.' becomes '_').
 * - A topic name may hold [A-Za-z0-9._-]; other characters become '_', the result is cut at 249
 *   characters, and '.' / '..' become '_' / '__'.
 */
import type { TableId } from '../../core/src/types.ts';

/** Kafka's limit on topic name length (TopicNamingStrategy.MAX_NAME_LENGTH). */
export const MAX_TOPIC_NAME_LENGTH = 249;
/** Debezium's default heartbeat topic prefix (`topic.heartbeat.prefix`). */
export const HEARTBEAT_TOPIC_PREFIX = '__debezium-heartbeat';
/** Debezium's default transaction topic suffix (`topic.transaction`). */
export const TRANSACTION_TOPIC_SUFFIX = 'transaction';

export type RecordKind = 'Key' | 'Value' | 'Envelope';

function isAvroFirst(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95; // a-z A-Z _
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function adjust(name: string, allowDot: boolean): string {
  if (name.length === 0) return name;
  const c0 = name.charCodeAt(0);
  // Debezium keeps a leading digit behind the '_' so that '1a' and '2a' stay distinct.
  let changed = !isAvroFirst(c0);
  let out = !changed ? name[0]! : isDigit(c0) ? `_${name[0]!}` : '_';
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (isAvroFirst(c) || isDigit(c) || (allowDot && c === 46)) {
      out += name[i]!;
    } else {
      out += '_';
      changed = true;
    }
  }
  return changed ? out : name;
}

/** Debezium's AVRO SchemaNameAdjuster: makes a valid Avro full name (dots allowed). */
export function adjustSchemaName(name: string): string {
  return adjust(name, true);
}

/** Debezium's AVRO field namer: makes a valid Avro field name (no dots). */
export function adjustFieldName(name: string): string {
  return adjust(name, false);
}

/**
 * The Connect schema parameter that names the source column of a field (Debezium's
 * PropagateSourceTypeToSchemaParameter, with `column.propagate.source.type`; its JDBC sink creates and writes the
 * column under this name). Ferry sets it on every key and value field whose Avro name differs from its column's
 * (`naïve ☃` → field `na_ve__`), so relational sinks write the column under its source name.
 */
export const SOURCE_COLUMN_NAME_PARAM = '__debezium.source.column.name';

/**
 * Ferry's parameter with a renamed column's earlier source names (a JSON array, most recent first), set when one of
 * them is not a valid Avro name: the field's Avro `aliases` hold the adjusted forms, which a target created under
 * source names does not have.
 */
export const SOURCE_COLUMN_RENAMED_FROM_PARAM = '__ferry.source.column.renamed_from';

/** Whether `name` is a valid Avro full name by Debezium's check (the one `adjustSchemaName` enforces). */
export function isValidSchemaName(name: string): boolean {
  return adjustSchemaName(name) === name;
}

function isTopicChar(c: number): boolean {
  return isAvroFirst(c) || isDigit(c) || c === 46 || c === 45; // . -
}

/** AbstractTopicNamingStrategy.sanitizedTopicName. */
export function sanitizeTopicName(topic: string): string {
  let out = '';
  for (let i = 0; i < topic.length; i++) {
    out += isTopicChar(topic.charCodeAt(i)) ? topic[i]! : '_';
  }
  if (out.length > MAX_TOPIC_NAME_LENGTH) return out.slice(0, MAX_TOPIC_NAME_LENGTH);
  if (out === '.') return '_';
  if (out === '..') return '__';
  return out;
}

/**
 * The data topic of a table: `<prefix>.<db>.<table>` (MySQL/MariaDB) or `<prefix>.<schema>.<table>` (PostgreSQL).
 * Blank parts are skipped, as Debezium's mkString does.
 */
export function dataTopic(prefix: string, id: TableId): string {
  return sanitizeTopicName([prefix, id.schema, id.table].filter((p) => p.trim() !== '').join('.'));
}

/** The record full name `<topic>.Key|Value|Envelope`, adjusted to a valid Avro name. */
export function recordName(topic: string, kind: RecordKind): string {
  return adjustSchemaName(`${topic}.${kind}`);
}

/** Confluent TopicNameStrategy subjects. */
export function keySubject(topic: string): string {
  return `${topic}-key`;
}
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** `<prefix>.transaction`. */
export function transactionTopic(prefix: string): string {
  return `${prefix}.${TRANSACTION_TOPIC_SUFFIX}`;
}

/** `__debezium-heartbeat.<prefix>`. */
export function heartbeatTopic(prefix: string): string {
  return `${HEARTBEAT_TOPIC_PREFIX}.${prefix}`;
}

/** The MySQL/MariaDB schema-change topic: the prefix itself. */
export function schemaChangeTopic(prefix: string): string {
  return prefix;
}

/** Splits an Avro full name as Confluent's AvroData does: the namespace is everything before the last dot. */
export function splitFullName(fullName: string): { readonly namespace: string | null; readonly name: string } {
  const i = fullName.lastIndexOf('.');
  return i < 0 ? { namespace: null, name: fullName } : { namespace: fullName.slice(0, i), name: fullName.slice(i + 1) };
}
