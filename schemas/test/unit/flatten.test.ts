// ExtractNewRecordState semantics (schemas/src/flatten.ts): add.fields naming and schemas, __deleted, the records each
// delete handling mode makes of a delete, and the settings' per-table overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent } from '../../../core/src/types.ts';
import { flatTable, flattenEvent, resolveAddedFields, type DeleteHandlingMode } from '../../src/flatten.ts';
import { tableConnectSchemas } from '../../src/envelope-schema.ts';
import { connectToAvro } from '../../src/avro-mapping.ts';
import { flattenFor, flattenSettingsSchema, kafkaOutputOf } from '../../../runtime/src/config/output-settings.ts';
import { settingsSchema } from '../../../runtime/src/config/settings-schema.ts';
import { MYSQL_ALL_TYPES } from './fixtures.ts';

test('add.fields: Debezium names (bare → __field, qualified → __struct_field, :NAME) and optional copies of the original schema', () => {
  const added = resolveAddedFields('mysql', { deleteHandling: 'tombstone', addFields: ['op', 'table', 'source.ts_ms', 'ts_ms', 'transaction.id', 'db:DATABASE'], addFieldsPrefix: '__' });
  assert.deepEqual(added.map((a) => [a.name, a.struct, a.field, a.schema.type, a.schema.optional]), [
    ['__op', 'envelope', 'op', 'string', true],
    ['__table', 'source', 'table', 'string', true],
    ['__source_ts_ms', 'source', 'ts_ms', 'int64', true],
    ['__ts_ms', 'envelope', 'ts_ms', 'int64', true],
    ['__transaction_id', 'transaction', 'id', 'string', true],
    ['__DATABASE', 'source', 'db', 'string', true],
  ]);
  // source.snapshot keeps its Enum name and allowed values, without the default (copySchemaBasics).
  const [snap] = resolveAddedFields('postgresql', { deleteHandling: 'tombstone', addFields: ['source.snapshot'], addFieldsPrefix: 'x_' });
  assert.equal(snap!.name, 'x_source_snapshot');
  assert.equal(snap!.schema.name, 'io.debezium.data.Enum');
  assert.equal(snap!.schema.defaultValue, undefined);
  assert.throws(() => resolveAddedFields('postgresql', { deleteHandling: 'tombstone', addFields: ['gtid'], addFieldsPrefix: '__' }), /postgresql source block has no field gtid/);
});

test('the flattened value schema: the optional Value record, then __deleted (rewrite modes), then the added fields', () => {
  const c = tableConnectSchemas(MYSQL_ALL_TYPES, { connector: 'mysql', topicPrefix: 'p' });
  const valueFields = MYSQL_ALL_TYPES.columns.map((col, i) => ({ column: col.name, field: c.value.fields![i]!.name }));
  const flat = flatTable(c.value, valueFields, 'mysql', { deleteHandling: 'rewrite', addFields: ['op'], addFieldsPrefix: '__' });
  const avro = connectToAvro(flat.value) as unknown[];
  assert.equal(avro[0], 'null');
  const rec = avro[1] as { name: string; namespace: string; fields: { name: string; type: unknown; default?: unknown }[] };
  assert.equal(`${rec.namespace}.${rec.name}`, 'p.inventory.all_types.Value');
  assert.deepEqual(rec.fields.slice(-2), [
    { name: '__deleted', type: ['null', 'string'], default: null },
    { name: '__op', type: ['null', 'string'], default: null },
  ]);
  assert.throws(() => flatTable(c.value, valueFields, 'mysql', { deleteHandling: 'tombstone', addFields: ['op:id'], addFieldsPrefix: '' }), /added field id has the name of another field/);
});

const table = { ...MYSQL_ALL_TYPES, columns: MYSQL_ALL_TYPES.columns.slice(0, 2), primaryKey: ['id'] };
const ev = (op: ChangeEvent['op'], before: Record<string, unknown> | null, after: Record<string, unknown> | null): ChangeEvent => ({
  op, key: null, before, after, tsMs: 5, table,
  source: { connector: 'mysql', name: 'p', tsMs: 4, snapshot: 'false', db: 'inventory', table: 'all_types', position: 'mysql:f.000001:4' as never },
});

test('each delete handling mode: what a delete, an insert and a truncate become', () => {
  const c = tableConnectSchemas(table, { connector: 'mysql', topicPrefix: 'p' });
  const fields = table.columns.map((col) => ({ column: col.name, field: col.name }));
  const ctx = () => ({ source: { table: 'all_types' }, transaction: null, tsUs: 5000, tsNs: 5000000n });
  const row = { id: 1, code: 'a' };
  const expect: Record<DeleteHandlingMode, unknown[]> = {
    tombstone: [null],
    'delete-to-tombstone': [null],
    rewrite: [{ id: 1, code: 'a', __deleted: 'true', __table: 'all_types' }],
    'rewrite-with-tombstone': [{ id: 1, code: 'a', __deleted: 'true', __table: 'all_types' }, null],
    drop: [],
  };
  for (const [mode, want] of Object.entries(expect) as [DeleteHandlingMode, unknown[]][]) {
    const flat = flatTable(c.value, fields, 'mysql', { deleteHandling: mode, addFields: ['table'], addFieldsPrefix: '__' });
    assert.deepEqual(flattenEvent(ev('d', row, null), flat, true, ctx), want, mode);
    const rewrite = mode.startsWith('rewrite');
    assert.deepEqual(flattenEvent(ev('c', null, row), flat, true, ctx), [{ ...row, ...(rewrite ? { __deleted: 'false' } : {}), __table: 'all_types' }], `${mode} insert`);
    assert.deepEqual(flattenEvent(ev('t', null, null), flat, true, ctx), [], `${mode} truncate`);
  }
  // rewrite-with-tombstone keeps the connector's tombstone only when it writes one (tombstonesOnDelete).
  const flat = flatTable(c.value, fields, 'mysql', { deleteHandling: 'rewrite-with-tombstone', addFields: [], addFieldsPrefix: '__' });
  assert.deepEqual(flattenEvent(ev('d', row, null), flat, false, ctx), [{ ...row, __deleted: 'true' }]);
});

test('settings: flatten per task with per-table overrides; the default output is the Avro envelope', () => {
  const s = settingsSchema.parse({ flatten: { enabled: true, addFields: ['op'], tables: { 'shop.audit': { enabled: false }, 'shop.orders': { deleteHandling: 'rewrite' } } } });
  assert.equal(s.format, 'avro');
  assert.deepEqual(flattenFor(s.flatten, 'shop', 'orders'), { deleteHandling: 'rewrite', addFields: ['op'], addFieldsPrefix: '__' });
  assert.deepEqual(flattenFor(s.flatten, 'shop', 'items'), { deleteHandling: 'tombstone', addFields: ['op'], addFieldsPrefix: '__' });
  assert.equal(flattenFor(s.flatten, 'shop', 'audit'), null);
  assert.equal(kafkaOutputOf(settingsSchema.parse({})), undefined);
  assert.equal(kafkaOutputOf(settingsSchema.parse({ format: 'protobuf' }))?.format, 'protobuf');
  assert.equal(flattenSettingsSchema.safeParse({ deleteHandling: 'none' }).success, false);
  assert.equal(flattenSettingsSchema.safeParse({ addFields: ['source.ts ms'] }).success, false);
  assert.equal(settingsSchema.safeParse({ format: 'xml' }).success, false);
});
