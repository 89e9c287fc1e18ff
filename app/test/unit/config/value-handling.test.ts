// The value-handling settings (settings.decimalHandlingMode, …): resolved per source with each connector's defaults
// into the source block the sources read, the PostgreSQL source's older option names as aliases, and what
// validation refuses (a mode for another engine, contradicting aliases, bad regular expressions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTask } from '../../../src/task-file/load-task.ts';

const rules = { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] };
const task = (source: Record<string, unknown>, settings: Record<string, unknown> = {}, targets: unknown[] = []) => ({
  name: 'vh', source: { host: '127.0.0.1', user: 'u', password: 'secret-x', ...source }, migrationType: 'cdc', tableMappings: rules, targets, settings: { stateDir: '/tmp/vh', ...settings },
});
const mysql = { engine: 'mariadb' };
const postgres = { engine: 'postgres', database: 'shop' };
const modes = (t: ReturnType<typeof parseTask>) => (t.source as unknown as { valueHandling: Record<string, unknown> }).valueHandling;

test('defaults are each connector\'s: adaptive_time_microseconds for MySQL/MariaDB, adaptive for PostgreSQL; bigint unsigned precise', () => {
  assert.deepEqual(modes(parseTask(task(mysql))), { decimal: 'precise', time: 'adaptive_time_microseconds', binary: 'bytes', bigintUnsigned: 'precise', interval: 'numeric', hstore: 'json', propagateSourceType: [] });
  assert.deepEqual(modes(parseTask(task(postgres))), { decimal: 'precise', time: 'adaptive', binary: 'bytes', bigintUnsigned: 'precise', interval: 'numeric', hstore: 'json', propagateSourceType: [] });
});

test('settings override the defaults; the PostgreSQL source options are aliases, the setting winning when both agree', () => {
  const t = parseTask(task(postgres, { decimalHandlingMode: 'string', timePrecisionMode: 'connect', binaryHandlingMode: 'hex', hstoreHandlingMode: 'map', columnPropagateSourceType: ['shop\\.t\\..*'] }));
  assert.deepEqual(modes(t), { decimal: 'string', time: 'connect', binary: 'hex', bigintUnsigned: 'precise', interval: 'numeric', hstore: 'map', propagateSourceType: ['shop\\.t\\..*'] });
  const alias = parseTask(task({ ...postgres, decimalHandlingMode: 'double', intervalHandlingMode: 'string' }));
  assert.equal(modes(alias).decimal, 'double');
  assert.equal(modes(alias).interval, 'string');
  assert.equal(modes(parseTask(task({ ...postgres, decimalHandlingMode: 'double' }, { decimalHandlingMode: 'double' }))).decimal, 'double');
});

test('refused: contradicting alias and setting, a mode of the other engine, adaptive time for MySQL, a bad regular expression', () => {
  assert.throws(() => parseTask(task({ ...postgres, decimalHandlingMode: 'double' }, { decimalHandlingMode: 'string' })),
    /source\.decimalHandlingMode: is "double" but settings\.decimalHandlingMode is "string": keep one, settings\.decimalHandlingMode/);
  assert.throws(() => parseTask(task(mysql, { intervalHandlingMode: 'string' })), /settings\.intervalHandlingMode: only applies to a postgres source \(this source is mariadb\)/);
  assert.throws(() => parseTask(task(mysql, { hstoreHandlingMode: 'map' })), /settings\.hstoreHandlingMode: only applies to a postgres source/);
  assert.throws(() => parseTask(task(postgres, { bigintUnsignedHandlingMode: 'long' })), /settings\.bigintUnsignedHandlingMode: only applies to a mysql\/mariadb source \(this source is postgres\)/);
  assert.throws(() => parseTask(task(postgres, { columnPropagateSourceType: ['shop.(t'] })), /settings\.columnPropagateSourceType\[0\]: not a valid regular expression/);
  assert.throws(() => parseTask(task(postgres, { timePrecisionMode: 'nanos' })), /settings\.timePrecisionMode/);
  assert.throws(() => parseTask(task(mysql, { timePrecisionMode: 'adaptive' })), /settings\.timePrecisionMode: "adaptive" is not supported for a mariadb source \(Debezium's MySQL connector refuses it too/);
  assert.equal(modes(parseTask(task(postgres, { timePrecisionMode: 'adaptive' }))).time, 'adaptive');
});

test('a kafka target (pass-through) takes the text binary and map modes; a mysql target refuses a binary text mode', () => {
  const kafkaTarget = { type: 'kafka', brokers: ['127.0.0.1:9092'] };
  assert.equal(modes(parseTask(task(postgres, { binaryHandlingMode: 'base64', hstoreHandlingMode: 'map' }, [kafkaTarget]))).binary, 'base64');
  assert.throws(() => parseTask(task(mysql, { binaryHandlingMode: 'base64-url-safe' }, [{ type: 'mysql', host: '127.0.0.1', user: 'u', password: 'secret-x' }])),
    /settings\.binaryHandlingMode: is "base64-url-safe", which carries binary values as text: the mysql target \(targets\[0\]\)/);
});

test('settings.includeSchemaChanges: MySQL/MariaDB only, the source option its alias; the source block carries the result', () => {
  const schemaChanges = (t: ReturnType<typeof parseTask>) => (t.source as unknown as { includeSchemaChanges?: boolean }).includeSchemaChanges;
  assert.equal(schemaChanges(parseTask(task(mysql))), undefined, 'absent: the source default (true)');
  assert.equal(schemaChanges(parseTask(task(mysql, { includeSchemaChanges: false }))), false);
  assert.equal(schemaChanges(parseTask(task({ ...mysql, includeSchemaChanges: false }))), false, 'the older source option still works');
  assert.equal(schemaChanges(parseTask(task({ ...mysql, includeSchemaChanges: false }, { includeSchemaChanges: false }))), false);
  assert.throws(() => parseTask(task({ ...mysql, includeSchemaChanges: true }, { includeSchemaChanges: false })),
    /source\.includeSchemaChanges: is true but settings\.includeSchemaChanges is false: keep one, settings\.includeSchemaChanges/);
  assert.throws(() => parseTask(task(postgres, { includeSchemaChanges: true })), /settings\.includeSchemaChanges: only applies to a mysql\/mariadb source/);
});
