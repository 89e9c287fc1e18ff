// The PostgreSQL catalog reader (convert-schema): exact columns (format_type parsed, identity, serial sequence, enum
// labels, arrays, generated), primary/unique keys, partial and expression indexes, foreign keys with actions, checks,
// sequences with their next value and owner, and the selected schema's view, trigger and function. An excluded table
// and its trigger are not read; the session is read-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import { readPgCatalog } from '../../src/catalog-reader.ts';
import { createSchema, DATABASE, includeSchema, PG_PORT, serverVersionNum } from './helpers.ts';

test('readPgCatalog reads the selected tables and their objects exactly', { timeout: 60000 }, async (t) => {
  const s = await createSchema('ferry_cat');
  t.after(() => s.drop());
  for (const sql of [
    "CREATE TYPE mood AS ENUM ('sad', 'ok')",
    'CREATE TABLE parent (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code char(3) NOT NULL UNIQUE)',
    `CREATE TABLE child (
       id serial PRIMARY KEY,
       parent_id integer REFERENCES parent (id) ON DELETE SET NULL ON UPDATE CASCADE,
       label varchar(40) NOT NULL DEFAULT 'x',
       tags text[],
       m mood,
       amount numeric,
       at timestamp(3) with time zone,
       twice integer GENERATED ALWAYS AS (id * 2) STORED,
       CONSTRAINT chk_label CHECK (length(label) > 0))`,
    'CREATE INDEX child_live ON child (parent_id) WHERE label <> \'\'',
    'CREATE INDEX child_lower ON child (lower(label))',
    'CREATE INDEX child_at ON child (at DESC, label)',
    'CREATE TABLE skipped (id int)',
    'CREATE SEQUENCE counter START 7',
    'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$',
    'CREATE TRIGGER child_touch BEFORE INSERT OR UPDATE ON child FOR EACH ROW EXECUTE FUNCTION touch()',
    'CREATE TRIGGER skipped_touch BEFORE INSERT ON skipped FOR EACH ROW EXECUTE FUNCTION touch()',
    'CREATE VIEW v_child AS SELECT id, label FROM child',
    "INSERT INTO parent (code) VALUES ('a'), ('b')",
  ]) await s.admin.query(sql);
  const c = await readPgCatalog({ host: '127.0.0.1', port: PG_PORT, user: 'postgres', password: new Secret('postgres'), database: DATABASE, connectTimeoutMs: 5000 },
    createTableSelector(includeSchema(s.schema, ['skipped'])));
  assert.equal(c.engine, 'postgres');
  assert.deepEqual(c.tables.map((x) => x.name), ['child', 'parent']);
  const child = c.tables.find((x) => x.name === 'child')!;
  assert.deepEqual(child.columns, [
    { name: 'id', ordinal: 1, sourceType: 'integer', type: { name: 'integer' }, nullable: false, defaultExpression: "nextval('child_id_seq'::regclass)".replace('child', `${s.schema}.child`), sequence: `${s.schema}.child_id_seq` },
    { name: 'parent_id', ordinal: 2, sourceType: 'integer', type: { name: 'integer' }, nullable: true },
    { name: 'label', ordinal: 3, sourceType: 'character varying(40)', type: { name: 'character varying', length: 40 }, nullable: false, defaultExpression: "'x'::character varying" },
    { name: 'tags', ordinal: 4, sourceType: 'text[]', type: { name: 'text', arrayDims: 1 }, nullable: true },
    { name: 'm', ordinal: 5, sourceType: `${s.schema}.mood`, type: { name: 'mood', userDefined: 'enum', values: ['sad', 'ok'] }, nullable: true },
    { name: 'amount', ordinal: 6, sourceType: 'numeric', type: { name: 'numeric' }, nullable: true },
    { name: 'at', ordinal: 7, sourceType: 'timestamp(3) with time zone', type: { name: 'timestamp with time zone', fsp: 3 }, nullable: true },
    { name: 'twice', ordinal: 8, sourceType: 'integer', type: { name: 'integer' }, nullable: true, generated: { expression: '(id * 2)', stored: true } },
  ]);
  assert.deepEqual(child.primaryKey, { name: 'child_pkey', columns: ['id'] });
  assert.deepEqual(child.checks, [{ name: 'chk_label', expression: '(length((label)::text) > 0)' }]);
  assert.deepEqual(child.foreignKeys, [{ name: 'child_parent_id_fkey', columns: ['parent_id'], refSchema: s.schema, refTable: 'parent', refColumns: ['id'], onUpdate: 'CASCADE', onDelete: 'SET NULL' }]);
  assert.deepEqual(child.indexes.map((i) => [i.name, i.columns, i.method, i.descending, i.predicate ?? null, i.expression ?? null]), [
    ['child_at', ['at', 'label'], 'btree', [true, false], null, null],
    ['child_live', ['parent_id'], 'btree', [false], "((label)::text <> ''::text)", null],
    ['child_lower', [], 'btree', [false], null, 'lower((label)::text)'],
  ]);
  const parent = c.tables.find((x) => x.name === 'parent')!;
  assert.equal(parent.columns[0]!.identity, 'always');
  assert.deepEqual(parent.uniqueKeys, [{ name: 'parent_code_key', columns: ['code'] }]);
  assert.deepEqual(c.sequences.map((q) => [q.name, q.next, q.ownedBy ?? null]), [
    ['child_id_seq', '1', `${s.schema}.child.id`],
    ['counter', '7', null],
    ['parent_id_seq', '3', `${s.schema}.parent.id`],
  ]);
  // pg_get_viewdef qualifies the columns of a one-table view up to PostgreSQL 15, and not from 16 on
  const viewdef = (await serverVersionNum()) >= 160000 ? 'SELECT id,\n    label\n   FROM child' : 'SELECT child.id,\n    child.label\n   FROM child';
  assert.deepEqual(c.views, [{ schema: s.schema, name: 'v_child', definition: viewdef }]);
  assert.deepEqual(c.triggers.map((x) => [x.name, x.table, x.timing, x.event, x.function]), [['child_touch', 'child', 'BEFORE', 'INSERT OR UPDATE', `${s.schema}.touch`]]);
  assert.deepEqual(c.routines.map((r) => [r.name, r.kind, r.language]), [['touch', 'function', 'plpgsql']]);
  assert.match(c.routines[0]!.definition, new RegExp(`^CREATE OR REPLACE FUNCTION ${s.schema}\\.touch\\(\\)\\n RETURNS trigger\\n LANGUAGE plpgsql\\n`));
});
