// The pure parts of the assessment: existing target tables against the converted ones (target-compare.ts), LOB
// sizes against the LOB policy and Kafka's limit (lob-sizes.ts), and validate's checks as findings (check-findings.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFindings } from '../../../src/assess/check-findings.ts';
import { compareTargetTable, typeFit, type TargetTableShape } from '../../../src/assess/target-compare.ts';
import { lobFindings, type LobMeasure } from '../../../src/assess/lob-sizes.ts';
import { grantMatches } from '../../../src/assess/target-tables.ts';
import { fail, ok, warn } from '../../../../core/src/check-result.ts';

const expected: TargetTableShape = {
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'title', type: 'character varying(40)', nullable: false },
    { name: 'note', type: 'text', nullable: true },
    { name: 'naïve', type: 'integer', nullable: true },
  ],
  primaryKey: ['id'], uniqueKeys: [],
};

test('a target table the sink would have created gives no finding (Avro-adjusted names included)', () => {
  const same: TargetTableShape = { columns: [...expected.columns.slice(0, 3), { name: 'na_ve', type: 'integer', nullable: true }, { name: '__ferry_truncated', type: 'text', nullable: true }], primaryKey: ['id'], uniqueKeys: [['id']] };
  assert.deepEqual(compareTargetTable({ dialect: 'postgres', targetName: 'pg', source: 's.t', table: 's.t', expected, actual: same }), []);
  // wider types hold every value: bigint for integer, text for varchar(40); a unique key stands in for the primary key
  const wider: TargetTableShape = { columns: [{ name: 'id', type: 'bigint', nullable: false }, { name: 'title', type: 'text', nullable: false }, { name: 'note', type: 'text', nullable: true }, { name: 'naïve', type: 'numeric', nullable: true }], primaryKey: [], uniqueKeys: [['id']] };
  assert.deepEqual(compareTargetTable({ dialect: 'postgres', targetName: 'pg', source: 's.t', table: 's.t', expected, actual: wider }), []);
});

test('a table of the wrong shape: each difference is a finding with its fix', () => {
  const wrong: TargetTableShape = {
    columns: [{ name: 'id', type: 'integer', nullable: true }, { name: 'title', type: 'character varying(10)', nullable: false }, { name: 'note', type: 'integer', nullable: false }, { name: 'extra', type: 'text', nullable: false }],
    primaryKey: [], uniqueKeys: [],
  };
  const f = compareTargetTable({ dialect: 'postgres', targetName: 'pg', source: 'shop.t', table: 'dst.t', expected, actual: wrong });
  assert.deepEqual(f.map((x) => [x.code, x.severity, x.objects[0]?.column ?? null, x.fix]), [
    ['TARGET_COLUMN_TOO_NARROW', 'warning', 'title', 'ALTER TABLE "dst"."t" ALTER COLUMN "title" TYPE character varying(40)'],
    ['TARGET_COLUMN_TYPE_MISMATCH', 'error', 'note', 'ALTER TABLE "dst"."t" ALTER COLUMN "note" TYPE text USING …, or drop the table (or set tablePreparation: drop-and-create) so the sink creates it'],
    ['TARGET_COLUMN_NOT_NULL', 'warning', 'note', 'ALTER TABLE "dst"."t" ALTER COLUMN "note" DROP NOT NULL'],
    ['TARGET_COLUMN_MISSING', 'warning', 'naïve', 'ALTER TABLE "dst"."t" ADD COLUMN "naïve" integer, or set tablePreparation: drop-and-create on the target'],
    ['TARGET_EXTRA_COLUMN', 'warning', 'extra', 'drop the column (ALTER TABLE "dst"."t" DROP COLUMN "extra") or give it a default'],
    ['TARGET_PRIMARY_KEY_MISMATCH', 'error', null, 'ALTER TABLE "dst"."t" ADD PRIMARY KEY ("id")'],
  ]);
  // with createTablesFrom event-schema the sink's own types differ from the conversion's: type findings stay warnings
  const loose = compareTargetTable({ dialect: 'postgres', targetName: 'pg', source: 'shop.t', table: 'dst.t', expected, actual: wrong, looseTypes: true });
  assert.equal(loose.find((x) => x.code === 'TARGET_COLUMN_TYPE_MISMATCH')!.severity, 'warning');
});

test('MySQL: a narrower column is an error (values that do not fit are dead-lettered), a utf8mb3 column cannot hold utf8mb4', () => {
  const exp: TargetTableShape = { columns: [{ name: 'id', type: 'int', nullable: false }, { name: 'name', type: 'varchar(40)', nullable: true, charset: 'utf8mb4' }], primaryKey: ['id'], uniqueKeys: [] };
  const act: TargetTableShape = { columns: [{ name: 'id', type: 'bigint', nullable: false }, { name: 'name', type: 'varchar(20)', nullable: true, charset: 'utf8mb3' }], primaryKey: ['id'], uniqueKeys: [['id']] };
  const f = compareTargetTable({ dialect: 'mysql', targetName: 'my', source: 'shop.t', table: 'dst.t', expected: exp, actual: act });
  assert.deepEqual(f.map((x) => [x.code, x.severity, x.fix]), [
    ['TARGET_COLUMN_TOO_NARROW', 'error', 'ALTER TABLE `dst`.`t` MODIFY COLUMN `name` varchar(40)'],
    ['CHARSET_NOT_HELD', 'warning', 'ALTER TABLE `dst`.`t` MODIFY COLUMN `name` varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'],
  ]);
});

test('typeFit follows the sinks: same, narrower (same kind), other kind, unknown', () => {
  assert.equal(typeFit('postgres', 'numeric(12,2)', 'numeric(10,2)'), 'same');
  assert.equal(typeFit('postgres', 'numeric(8,2)', 'numeric(10,2)'), 'narrower');
  assert.equal(typeFit('postgres', 'smallint', 'bigint'), 'narrower');
  assert.equal(typeFit('postgres', 'boolean', 'integer'), 'other');
  assert.equal(typeFit('postgres', 'interval', 'interval(0)'), 'same');
  assert.equal(typeFit('postgres', 'timestamp without time zone', 'timestamp(6) without time zone'), 'same');
  assert.equal(typeFit('postgres', 'character', 'character(4)'), 'narrower');
  assert.equal(typeFit('postgres', '"shop"."mood"', 'text'), 'unknown');
  assert.equal(typeFit('mysql', 'longtext', 'mediumtext'), 'same');
  assert.equal(typeFit('mysql', 'text', 'longtext'), 'narrower');
  assert.equal(typeFit('mysql', 'int', 'varchar(10)'), 'other');
});

const m = (maxBytes: number, complete = true): LobMeasure => ({ table: 'shop.docs', column: 'body', maxBytes, rowsRead: complete ? 10 : 100000, complete });
const settings = (lob: Record<string, unknown>) => ({ lob: { mode: 'full', maxSizeKb: 32, inlineThresholdKb: 64, oversize: 'fail', ...lob } }) as never;

test('LOB sizes: above the limited-mode limit → LOB_TRUNCATED; above kafka.maxMessageBytes with oversize fail → error; else info', () => {
  const limited = { mode: 'limited' as const, maxBytes: 1048576, thresholdBytes: 0, from: 'settings.lob' };
  const t = lobFindings({ kafka: undefined, settings: settings({ mode: 'limited' }) }, limited, [m(10485760)]);
  assert.deepEqual(t.map((x) => [x.code, x.severity, x.fix]), [['LOB_TRUNCATED', 'warning', 'raise settings.lob.maxSizeKb to at least 10240, or use mode full (or inline with a claimCheck bucket) for this table']]);
  const full = { mode: 'full' as const, maxBytes: 32768, thresholdBytes: 0, from: 'settings.lob' };
  const kafka = { maxMessageBytes: 8388608 } as never;
  const big = lobFindings({ kafka, settings: settings({}) }, full, [m(10485760, false)]);
  assert.deepEqual(big.map((x) => [x.code, x.severity]), [['LOB_EXCEEDS_MESSAGE_LIMIT', 'error']]);
  assert.match(big[0]!.message, /holds values of at least 10\.0 MiB \(largest among the first 100000 rows\), larger than kafka\.maxMessageBytes \(8\.0 MiB\)/);
  assert.deepEqual(lobFindings({ kafka, settings: settings({ oversize: 'claim-check' }) }, full, [m(10485760)]).map((x) => x.code), ['LOB_COLUMN']);
  assert.deepEqual(lobFindings({ kafka: undefined, settings: settings({}) }, full, [m(10485760)]).map((x) => [x.code, x.severity]), [['LOB_COLUMN', 'info']]);
  // a rule's limit names the rule in the fix
  const rule = lobFindings({ kafka: undefined, settings: settings({}) }, { ...limited, from: 'table-settings rule 7' }, [m(2097152)]);
  assert.match(rule[0]!.fix!, /^raise bulk-max-size of table-settings rule 7 to at least 2048/);
});

test('validate checks become findings: fail → error, warn → warning, ok → none; full-load tasks need no binlog or WAL (but PostgreSQL table identity stays)', () => {
  const checks = [
    ok('source.connect', 'connected'),
    fail('mysql.binlog_format', 'binlog_format is STATEMENT', 'set ROW', 'FERRY_SOURCE_PREREQUISITE'),
    warn('mysql.gtid', 'gtid off', 'turn it on'),
    fail('tables.selected', 'nothing selected', 'fix the rules', 'FERRY_NO_TABLES_SELECTED'),
    fail('target.pg', 'unreachable', 'check it'),
    warn('postgres.table.shop.t', 'no key', 'add one'),
  ];
  const cdc = checkFindings(checks, 'cdc');
  assert.deepEqual(cdc.map((f) => [f.code, f.severity, f.category, f.objects]), [
    ['MYSQL_BINLOG_FORMAT', 'error', 'source', []],
    ['MYSQL_GTID', 'warning', 'source', []],
    ['MAPPING_SELECTS_NOTHING', 'error', 'mapping', []],
    ['TARGET_CONNECT', 'error', 'target', [{ target: 'pg' }]],
    ['POSTGRES_TABLE_IDENTITY', 'warning', 'source', [{ table: 'shop.t' }]],
  ]);
  assert.deepEqual(cdc[0]!.details, { check: 'mysql.binlog_format', errorCode: 'FERRY_SOURCE_PREREQUISITE' });
  const load = checkFindings(checks, 'full-load');
  assert.deepEqual(load.map((f) => [f.code, f.severity]), [['MYSQL_BINLOG_FORMAT', 'info'], ['MYSQL_GTID', 'info'], ['MAPPING_SELECTS_NOTHING', 'error'], ['TARGET_CONNECT', 'error'], ['POSTGRES_TABLE_IDENTITY', 'warning']]);
  assert.match(load[0]!.message, /^binlog_format is STATEMENT \(not needed by a full-load task/);
});

test('MySQL grant database patterns match as SQL LIKE, with \\_ and \\% literal', () => {
  assert.equal(grantMatches('shop', 'shop'), true);
  assert.equal(grantMatches('shop', 'SHOP'), true);
  assert.equal(grantMatches('sh_p', 'shop'), true);
  assert.equal(grantMatches('sh\\_p', 'shop'), false);
  assert.equal(grantMatches('sh\\_p', 'sh_p'), true);
  assert.equal(grantMatches('shop%', 'shop_eu'), true);
  assert.equal(grantMatches('shop.x', 'shopax'), false);
});
