// Layer 1: the exact text of every kind of statement the Redshift sink generates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as sql from '../../src/redshift-dialect.ts';
import { sinkTableFromAvro } from '../../../../runtime/src/sink-worker/avro-table.ts';
import { buildTableSchemas } from '../../../../schemas/src/envelope-schema.ts';
import { fixture } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { parseCopy, translate } from '../TestOnlyPgCopyExecutor.ts';

const t = { schema: 'Shop', table: 'Orders' };

test('type mapping: Debezium types → Redshift types', () => {
  const s = buildTableSchemas(fixture().v2, { connector: 'mariadb', topicPrefix: 'p' });
  const st = sinkTableFromAvro(s.envelope, s.key, { topic: s.topic, schema: 'shop', table: 'orders', version: '1' });
  const types = Object.fromEntries(sql.redshiftColumns(st.columns, { varcharLength: 1000, varbyteLength: 5000 }).map((c) => [c.name, c.type]));
  assert.deepEqual(types, {
    id: 'BIGINT', customer: 'VARCHAR(1000)', amount: 'DECIMAL(12,2)', big: 'DECIMAL(30,10)', wide: 'VARCHAR(1000)', ubig: 'DECIMAL(20,0)',
    qty: 'INTEGER', small: 'SMALLINT', tiny: 'SMALLINT', ratio: 'REAL', score: 'DOUBLE PRECISION', flag: 'BOOLEAN', bits: 'VARBYTE(5000)',
    created: 'TIMESTAMP', updated: 'TIMESTAMP', seen: 'TIMESTAMPTZ', born: 'DATE', alarm: 'TIME', yr: 'INTEGER', color: 'VARCHAR(1000)',
    tags: 'VARCHAR(1000)', doc: 'VARCHAR(1000)', note: 'VARCHAR(1000)', bin: 'VARBYTE(5000)', uid: 'VARCHAR(36)', loc: 'VARBYTE(5000)', added: 'VARCHAR(1000)',
  });
});

test('CREATE TABLE with DISTKEY / SORTKEY on the primary key, lower-cased quoted identifiers', () => {
  const cols = [{ name: 'id', type: 'BIGINT', nullable: false }, { name: 'Name', type: 'VARCHAR(10)', nullable: true }];
  assert.equal(sql.createTable(t, cols, ['id'], { distKey: true, sortKey: true }),
    'CREATE TABLE IF NOT EXISTS "shop"."orders" (\n  "id" BIGINT NOT NULL,\n  "name" VARCHAR(10),\n  PRIMARY KEY ("id")\n) DISTSTYLE KEY DISTKEY ("id") COMPOUND SORTKEY ("id")');
  assert.equal(sql.createTable(t, cols, [], { distKey: true, sortKey: true }),
    'CREATE TABLE IF NOT EXISTS "shop"."orders" (\n  "id" BIGINT NOT NULL,\n  "name" VARCHAR(10)\n) DISTSTYLE AUTO');
  assert.equal(sql.addColumn(t, { name: 'added', type: 'VARCHAR(20)', nullable: true }), 'ALTER TABLE "shop"."orders" ADD COLUMN "added" VARCHAR(20)');
  assert.equal(sql.createStagingTable('stg_1', cols), 'CREATE TEMP TABLE "stg_1" ("id" BIGINT, "name" VARCHAR(10), "_ferry_op" CHAR(1))');
});

test('COPY: Parquet with an IAM role; CSV with keys, options and region', () => {
  assert.equal(sql.copy({ into: { temp: 'stg_1' }, from: 's3://b/p/x.parquet', auth: { iamRole: 'arn:aws:iam::123456789012:role/r' }, format: { kind: 'parquet' } }),
    "COPY \"stg_1\"\nFROM 's3://b/p/x.parquet'\nIAM_ROLE 'arn:aws:iam::123456789012:role/r'\nFORMAT AS PARQUET");
  assert.equal(sql.copy({
    into: t, columns: ['id', 'name'], from: 's3://b/p/x.csv.gz', auth: { accessKeyId: 'AK', secretAccessKey: 'S\'K', sessionToken: 'T' },
    format: { kind: 'csv', delimiter: ',', quote: '"', nullAs: '\\N', gzip: true }, region: 'eu-west-1',
  }), "COPY \"shop\".\"orders\" (\"id\", \"name\")\nFROM 's3://b/p/x.csv.gz'\nACCESS_KEY_ID 'AK' SECRET_ACCESS_KEY 'S''K' SESSION_TOKEN 'T'\nFORMAT AS CSV DELIMITER AS ',' QUOTE AS '\"' NULL AS '\\\\N'\nTIMEFORMAT 'auto' DATEFORMAT 'auto'\nGZIP\nREGION 'eu-west-1'");
});

test('apply: delete staged deletes, MERGE the rest (composite key); delete-insert mode; truncate', () => {
  const pk = ['id', 'code'];
  assert.equal(sql.deleteStagedDeletes(t, 'stg', pk), `DELETE FROM "shop"."orders" USING "stg" WHERE "shop"."orders"."id" = "stg"."id" AND "shop"."orders"."code" = "stg"."code" AND "stg"."_ferry_op" = 'D'`);
  assert.equal(sql.dropDeletesFromStage('stg'), `DELETE FROM "stg" WHERE "_ferry_op" = 'D'`);
  assert.equal(sql.merge(t, 'stg', ['id', 'code', 'qty'], pk),
    'MERGE INTO "shop"."orders" USING "stg" ON "shop"."orders"."id" = "stg"."id" AND "shop"."orders"."code" = "stg"."code"\n' +
    'WHEN MATCHED THEN UPDATE SET "qty" = "stg"."qty"\n' +
    'WHEN NOT MATCHED THEN INSERT ("id", "code", "qty") VALUES ("stg"."id", "stg"."code", "stg"."qty")');
  assert.equal(sql.deleteStagedKeys(t, 'stg', ['id']), 'DELETE FROM "shop"."orders" USING "stg" WHERE "shop"."orders"."id" = "stg"."id"');
  assert.equal(sql.insertFromStage(t, 'stg', ['id', 'qty']), `INSERT INTO "shop"."orders" ("id", "qty") SELECT "id", "qty" FROM "stg" WHERE "_ferry_op" <> 'D'`);
  assert.equal(sql.deleteAll(t), 'DELETE FROM "shop"."orders"');
});

test('the applied-position table: created, locked, read, and moved forward only', () => {
  const o = { schema: 'public', table: '_ferry_sink_offsets' };
  assert.equal(sql.createOffsetsTable(o), 'CREATE TABLE IF NOT EXISTS "public"."_ferry_sink_offsets" (\n  "sink" VARCHAR(256) NOT NULL,\n  "stream" VARCHAR(1024) NOT NULL,\n  "seq" VARCHAR(1024) NOT NULL,\n  "updated_at" TIMESTAMP NOT NULL,\n  PRIMARY KEY ("sink", "stream")\n)');
  assert.equal(sql.lockOffsets(o), 'LOCK "public"."_ferry_sink_offsets"');
  assert.equal(sql.selectOffsets(o, 'rs'), `SELECT "stream", "seq" FROM "public"."_ferry_sink_offsets" WHERE "sink" = 'rs'`);
  assert.deepEqual(sql.advanceOffset(o, 'rs', 'p.shop.orders/0', '0000000000000000042'), [
    `UPDATE "public"."_ferry_sink_offsets" SET "seq" = '0000000000000000042', "updated_at" = GETDATE() WHERE "sink" = 'rs' AND "stream" = 'p.shop.orders/0' AND "seq" < '0000000000000000042'`,
    `INSERT INTO "public"."_ferry_sink_offsets" ("sink", "stream", "seq", "updated_at") SELECT 'rs', 'p.shop.orders/0', '0000000000000000042', GETDATE() WHERE NOT EXISTS (SELECT 1 FROM "public"."_ferry_sink_offsets" WHERE "sink" = 'rs' AND "stream" = 'p.shop.orders/0')`,
  ]);
});

test('the test-only stand-in parses the COPY it is given and strips only Redshift-only DDL', () => {
  const c = parseCopy(sql.copy({ into: t, columns: ['id'], from: "s3://bkt/a/b's.csv", auth: { iamRole: 'arn:aws:iam::123456789012:role/r' }, format: { kind: 'csv', delimiter: ';', quote: '"', nullAs: '\\N', gzip: false } }));
  assert.deepEqual(c, { target: '"shop"."orders"', columns: ['"id"'], bucket: 'bkt', prefix: "a/b's.csv", format: 'csv', delimiter: ';', quote: '"', nullAs: '\\N', gzip: false, ignoreHeader: 0 });
  assert.throws(() => parseCopy(`COPY "t" FROM 's3://b/k' FORMAT AS PARQUET`), /without IAM_ROLE/);
  assert.equal(translate(sql.createTable(t, [{ name: 'b', type: 'VARBYTE(100)', nullable: true }], ['b'], { distKey: true, sortKey: true })),
    'CREATE TABLE IF NOT EXISTS "shop"."orders" (\n  "b" BYTEA,\n  PRIMARY KEY ("b")\n)');
});
