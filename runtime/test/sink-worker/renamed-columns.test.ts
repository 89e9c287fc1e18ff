// A renamed column's earlier names travel as Avro field aliases: written by the schema builder, read back into
// SinkColumn.renamedFrom, and kept out of the decoder's reader schema (avsc refuses an alias that names another field).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTableSchemas } from '../../../schemas/src/envelope-schema.ts';
import { avscType } from '../../../schemas/src/avro-types.ts';
import { envelopeReaderSchema, envelopeValueRecord, sinkTableFromAvro } from '../../src/sink-worker/avro-table.ts';
import type { TableSchema } from '../../../core/src/types.ts';

const int = { type: 'int32' as const };
const str = { type: 'string' as const };

// v1: (id, b, note); then RENAME b TO c, then ADD a new column b, then RENAME note TO `note-x` (adjusted to note_x).
const V3: TableSchema = {
  id: { schema: 'shop', table: 't' }, version: 3, primaryKey: ['id'],
  columns: [
    { name: 'id', type: int, nullable: false, sourceType: 'int' },
    { name: 'c', type: int, nullable: true, sourceType: 'int', renamedFrom: ['b'] },
    { name: 'b', type: str, nullable: true, sourceType: 'varchar(5)' },
    { name: 'note-x', type: str, nullable: true, sourceType: 'text', renamedFrom: ['note', 'note-x', 'old-note'] },
  ],
};

test('the Value record carries the earlier names as field aliases (after the default), adjusted like field names', () => {
  const s = buildTableSchemas(V3, { connector: 'mariadb', topicPrefix: 'p' });
  const value = envelopeValueRecord(s.envelope);
  assert.deepEqual(value.fields.map((f) => [f.name, f.aliases]), [['id', undefined], ['c', ['b']], ['b', undefined], ['note_x', ['note', 'old_note']]]);
  assert.equal(JSON.stringify(value.fields[1]), '{"name":"c","type":["null","int"],"default":null,"aliases":["b"]}');
  // the Key record has no aliases (a renamed key column is renamed in the Value; the key's field names follow)
  assert.deepEqual(s.key!.fields.map((f) => Object.keys(f)), [['name', 'type']]);
});

test('SinkColumn.renamedFrom comes from the aliases; a column without renames has none', () => {
  const s = buildTableSchemas(V3, { connector: 'mariadb', topicPrefix: 'p' });
  const t = sinkTableFromAvro(s.envelope, s.key, { topic: s.topic, schema: 'shop', table: 't', version: '3' });
  assert.deepEqual(t.columns.map((c) => [c.name, c.renamedFrom]), [['id', undefined], ['c', ['b']], ['b', undefined], ['note_x', ['note', 'old_note']]]);
  assert.equal('renamedFrom' in t.columns[0]!, false);
});

test('a record whose alias names another field decodes through the reader schema (no avsc "ambiguous aliasing")', () => {
  const s = buildTableSchemas(V3, { connector: 'mariadb', topicPrefix: 'p' });
  const writer = avscType(s.envelope);
  const full = avscType(s.envelope);
  assert.throws(() => full.createResolver(writer), /ambiguous aliasing|cannot read "p.shop.t.Value"/, 'avsc refuses the aliases as written (the reason they are stripped)');
  const reader = avscType(envelopeReaderSchema(s.envelope, ['db', 'table']));
  const after = { id: 1, c: 42, b: 'new', note_x: 'n' };
  const source = Object.fromEntries((s.envelope.fields.find((f) => f.name === 'source')!.type as unknown as { fields: { name: string; type: unknown }[] }).fields.map((f) => [f.name, defaultOf(f.type)]));
  const bytes = writer.toBuffer({ before: null, after, source: { ...source, db: 'shop', table: 't' }, transaction: null, op: 'c', ts_ms: 5, ts_us: null, ts_ns: null });
  const got = reader.fromBuffer(bytes, reader.createResolver(writer)) as { after: unknown; op: string; source: unknown };
  assert.deepEqual({ ...(got.after as object) }, after);
  assert.equal(got.op, 'c');
  assert.deepEqual({ ...(got.source as object) }, { db: 'shop', table: 't' });
});

/** A value for a source-block field of the given Avro type. */
function defaultOf(type: unknown): unknown {
  if (Array.isArray(type)) return null;
  const t = typeof type === 'string' ? type : (type as { type: string }).type;
  switch (t) {
    case 'string': return 'x';
    case 'long': return 0n;
    case 'int': return 0;
    case 'boolean': return false;
    default: return null;
  }
}
