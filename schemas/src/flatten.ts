/**
 * Debezium's ExtractNewRecordState (the "unwrap" transform) over Ferry's change events: the row state instead of the
 * envelope, with Debezium's delete.tombstone.handling.mode, add.fields and add.fields.prefix semantics.
 *
 * Read from debezium/debezium (ExtractNewRecordState, AbstractExtractNewRecordState.FieldReference,
 * DefaultDeleteHandlingStrategy, ExtractNewRecordStateConfigDefinition), 2026:
 * - The value schema is the envelope's `after` schema, the optional struct `<topic>.Value` (so the Avro converter
 *   registers ["null", {record Value}]), then `__deleted` (an optional string, "true"/"false", in the rewrite modes),
 *   then the added fields in the order given, each an optional copy of the original field's schema.
 * - A field is `source.x` / `transaction.x` / a bare name: op, ts_ms, ts_us and ts_ns are the envelope's; id,
 *   total_order and data_collection_order the transaction block's; any other bare name is the source block's. Its new
 *   name is <prefix><field> for a bare name, <prefix><struct>_<field> for a qualified one, <prefix><NAME> with ":NAME".
 * - Deletes: tombstone and delete-to-tombstone → one tombstone (and the connector's own tombstone is dropped);
 *   rewrite → the `before` row with __deleted "true", no tombstone; rewrite-with-tombstone → that, then the connector's
 *   tombstone; drop → nothing. Truncates are dropped (ExtractNewRecordState leaves only row events).
 */
import { FerryError } from '../../core/src/errors.ts';
import type { ChangeEvent, Row } from '../../core/src/types.ts';
import type { ConnectField, ConnectSchema } from './avro-mapping.ts';
import { sourceConnectSchema, TRANSACTION_BLOCK_SCHEMA, type ConnectorKind, type FieldMapping } from './envelope-schema.ts';

/** delete.tombstone.handling.mode. */
export type DeleteHandlingMode = 'tombstone' | 'delete-to-tombstone' | 'rewrite' | 'rewrite-with-tombstone' | 'drop';

/** How one table is flattened. */
export interface FlattenOptions {
  readonly deleteHandling: DeleteHandlingMode;
  /** Debezium's add.fields entries: op, table, source.ts_ms, transaction.id, ts_ms:EVENT_TS ... */
  readonly addFields: readonly string[];
  readonly addFieldsPrefix: string;
}

export const DELETED_FIELD = '__deleted';

const ENVELOPE_FIELDS: Readonly<Record<string, ConnectSchema>> = {
  op: { type: 'string', optional: false },
  ts_ms: { type: 'int64', optional: true },
  ts_us: { type: 'int64', optional: true },
  ts_ns: { type: 'int64', optional: true },
};
const TRANSACTION_FIELDS = new Set(['id', 'total_order', 'data_collection_order']);

/** One added field: where its value comes from and its (optional) schema. */
export interface AddedField {
  readonly name: string;
  readonly struct: 'envelope' | 'source' | 'transaction';
  readonly field: string;
  readonly schema: ConnectSchema;
}

/** The flattened value of one table version. */
export interface FlatTable {
  readonly options: FlattenOptions;
  /** The optional struct `<topic>.Value` with __deleted (rewrite modes) and the added fields. */
  readonly value: ConnectSchema;
  readonly added: readonly AddedField[];
  readonly rewrite: boolean;
  readonly valueFields: readonly FieldMapping[];
}

/** Copies a field schema's basics as an optional schema without a default (Kafka's SchemaUtil.copySchemaBasics(...).optional()). */
function optionalCopy(s: ConnectSchema): ConnectSchema {
  const { defaultValue: _d, ...rest } = s;
  return { ...rest, optional: true };
}

/** Resolves add.fields entries as Debezium's FieldReference does. */
export function resolveAddedFields(connector: ConnectorKind, options: FlattenOptions): AddedField[] {
  const source = sourceConnectSchema(connector);
  return options.addFields.map((entry) => {
    const [ref, rename] = entry.split(':');
    const parts = ref!.split('.');
    const field = parts.length === 1 ? parts[0]! : parts[1]!;
    const struct: AddedField['struct'] = parts.length === 1
      ? (field in ENVELOPE_FIELDS ? 'envelope' : TRANSACTION_FIELDS.has(field) ? 'transaction' : 'source')
      : parts[0] === 'transaction' ? 'transaction' : parts[0] === 'source' ? 'source' : bad(entry, `unknown struct ${parts[0]}`);
    const parent = struct === 'envelope' ? null : struct === 'source' ? source : TRANSACTION_BLOCK_SCHEMA;
    const schema = parent === null ? ENVELOPE_FIELDS[field] : parent.fields!.find((f) => f.name === field)?.schema;
    if (schema === undefined) bad(entry, `the ${struct === 'envelope' ? 'envelope' : `${connector} ${struct} block`} has no field ${field}`);
    const name = options.addFieldsPrefix + (rename ?? (parts.length === 1 ? field : `${struct}_${field}`));
    return { name, struct, field, schema: optionalCopy(schema!) };
  });
}

function bad(entry: string, why: string): never {
  throw new FerryError('FERRY_CONFIG_INVALID', `settings.flatten.addFields: "${entry}": ${why}; use op, ts_ms, ts_us, ts_ns, a source field (source.ts_ms, table, db, ...) or transaction.id / total_order / data_collection_order`, { disposition: 'fatal' });
}

/** The flattened value schema of a table version: its Value struct plus __deleted and the added fields. */
export function flatTable(value: ConnectSchema, valueFields: readonly FieldMapping[], connector: ConnectorKind, options: FlattenOptions): FlatTable {
  const added = resolveAddedFields(connector, options);
  const rewrite = options.deleteHandling === 'rewrite' || options.deleteHandling === 'rewrite-with-tombstone';
  const fields: ConnectField[] = [...value.fields!];
  if (rewrite) fields.push({ name: DELETED_FIELD, schema: { type: 'string', optional: true } });
  for (const a of added) fields.push({ name: a.name, schema: a.schema });
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) {
      throw new FerryError('FERRY_CONFIG_INVALID', `settings.flatten: the added field ${f.name} has the name of another field of ${value.name}; rename it (field:NAME) or change addFieldsPrefix`, { disposition: 'fatal' });
    }
    seen.add(f.name);
  }
  return { options, value: { ...value, optional: true, fields }, added, rewrite, valueFields };
}

/** The values an added field can be read from: the Avro source record, the event, and the transaction block. */
export interface FlatContext {
  readonly source: Readonly<Record<string, unknown>>;
  readonly transaction: Readonly<Record<string, unknown>> | null;
  readonly tsUs: unknown;
  readonly tsNs: unknown;
}

/**
 * The records one event becomes: values (a flattened row) or null (a tombstone), in order. `tombstonesOnDelete` is
 * the connector's tombstones.on.delete (whether it emits a tombstone after each delete for the transform to keep or drop).
 */
export function flattenEvent(event: ChangeEvent, flat: FlatTable, tombstonesOnDelete: boolean, ctx: () => FlatContext): (Record<string, unknown> | null)[] {
  if (event.op === 't') return [];
  if (event.op === 'd') {
    switch (flat.options.deleteHandling) {
      case 'drop': return [];
      case 'tombstone': case 'delete-to-tombstone': return [null];
      case 'rewrite': return [flatRow(event.before, event, flat, 'true', ctx)];
      case 'rewrite-with-tombstone': return tombstonesOnDelete ? [flatRow(event.before, event, flat, 'true', ctx), null] : [flatRow(event.before, event, flat, 'true', ctx)];
    }
  }
  return [flatRow(event.after, event, flat, 'false', ctx)];
}

function flatRow(row: Row | null, event: ChangeEvent, flat: FlatTable, deleted: string, ctx: () => FlatContext): Record<string, unknown> {
  if (row === null) {
    throw new FerryError('FERRY_INTERNAL', `a ${event.op} event on ${event.table.id.schema}.${event.table.id.table} has no ${event.op === 'd' ? 'before' : 'after'} row to flatten`);
  }
  const out: Record<string, unknown> = {};
  for (const f of flat.valueFields) out[f.field] = row[f.column] ?? null;
  if (flat.rewrite) out[DELETED_FIELD] = deleted;
  if (flat.added.length > 0) {
    const c = ctx();
    for (const a of flat.added) {
      out[a.name] = a.struct === 'source' ? c.source[a.field] ?? null
        : a.struct === 'transaction' ? c.transaction?.[a.field] ?? null
          : a.field === 'op' ? event.op : a.field === 'ts_ms' ? event.tsMs : a.field === 'ts_us' ? c.tsUs : c.tsNs;
    }
  }
  return out;
}
