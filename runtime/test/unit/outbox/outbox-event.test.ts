// Outbox events read from rows and from message content, and their topics (runtime/src/outbox/outbox-event.ts, topicOf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outboxEntrySchema, outboxSettingsSchema } from '../../../src/config/outbox-settings.ts';
import { fromMessage, fromRow, missingColumns } from '../../../src/outbox/outbox-event.ts';
import { topicOf } from '../../../src/outbox/OutboxRouter.ts';
import { outboxProblems } from '../../../src/outbox/outbox-checks.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { lsnPosition } from '../../../../core/src/position.ts';
import type { ChangeEvent, TableSchema } from '../../../../core/src/types.ts';

const entry = outboxEntrySchema.parse({ table: 'shop.outbox', additionalFields: [{ column: 'tenant', placement: 'header' }] });
const col = (name: string) => ({ name, type: { type: 'string' as const }, nullable: true, sourceType: 'varchar(255)' });
const table: TableSchema = { id: { schema: 'shop', table: 'outbox' }, version: 1, primaryKey: ['id'], columns: ['id', 'aggregatetype', 'aggregateid', 'type', 'payload', 'tenant'].map(col) };

test('defaults are Debezium\'s: columns id, aggregatetype, aggregateid, type, payload; topic outbox.event.${routedByValue}', () => {
  assert.deepEqual(entry.columns, { id: 'id', aggregateType: 'aggregatetype', aggregateId: 'aggregateid', type: 'type', payload: 'payload' });
  assert.equal(entry.topic, 'outbox.event.${routedByValue}');
  assert.equal(entry.payloadFormat, 'json');
  assert.equal(entry.onUpdate, 'warn');
  assert.equal(entry.tombstoneOnEmptyPayload, false);
});

test('an entry names a table or a message prefix, not both; duplicates and reserved aliases are refused', () => {
  assert.equal(outboxEntrySchema.safeParse({}).success, false);
  assert.equal(outboxEntrySchema.safeParse({ table: 'a.b', messagePrefix: 'p' }).success, false);
  assert.equal(outboxEntrySchema.safeParse({ table: 'nodot' }).success, false);
  assert.equal(outboxEntrySchema.safeParse({ messagePrefix: 'p', additionalFields: [{ column: 'x', placement: 'envelope', alias: 'payload' }] }).success, false);
  assert.equal(outboxEntrySchema.safeParse({ messagePrefix: 'p', additionalFields: [{ column: 'x', placement: 'header', alias: 'id' }] }).success, false);
  assert.equal(outboxSettingsSchema.safeParse([{ table: 'a.b' }, { table: 'a.b' }]).success, false);
});

test('a row: the fields by role; the topic from the template; a missing column is named', () => {
  const after = { id: 'e-1', aggregatetype: 'Order Line', aggregateid: 'o-7', type: 'Created', payload: '{"a":1}', tenant: 't1' };
  const e: ChangeEvent = { op: 'c', key: { id: 'e-1' }, before: null, after, tsMs: 5, table, source: { connector: 'postgresql', name: 'x', tsMs: 1, snapshot: 'false', db: 'd', schema: 'shop', table: 'outbox', position: lsnPosition(16n) } };
  const ev = fromRow(entry, e);
  assert.deepEqual({ ...ev, where: undefined }, { id: 'e-1', aggregateType: 'Order Line', aggregateId: 'o-7', type: 'Created', payload: '{"a":1}', parsed: false, fields: { tenant: 't1' }, tsMs: 5, where: undefined });
  assert.equal(topicOf(entry, ev), 'outbox.event.Order_Line');
  assert.equal(topicOf({ ...entry, topic: 'events.${routedByValue}.v1' }, ev), 'events.Order_Line.v1');
  assert.deepEqual(missingColumns(entry, { columns: table.columns.filter((c) => c.name !== 'tenant' && c.name !== 'type') }), ['type', 'tenant']);
  assert.throws(() => topicOf(entry, { ...ev, aggregateType: null }), (x: unknown) => x instanceof FerryError && x.disposition === 'fatal' && /no aggregate type/.test(x.message));
});

test('a message: JSON object content with the same field names; anything else stops with a clear error', () => {
  const m = (content: string) => ({ prefix: 'outbox', content: Buffer.from(content), transactional: true, position: lsnPosition(32n), tsMs: 9 });
  const ev = fromMessage(entry, m('{"id":"e-2","aggregatetype":"Order","aggregateid":42,"type":"Paid","payload":{"total":3.5},"tenant":"t2"}'));
  assert.deepEqual({ ...ev, where: undefined }, { id: 'e-2', aggregateType: 'Order', aggregateId: 42, type: 'Paid', payload: { total: 3.5 }, parsed: true, fields: { tenant: 't2' }, tsMs: 9, where: undefined });
  assert.throws(() => fromMessage(entry, m('not json')), /content is not JSON/);
  assert.throws(() => fromMessage(entry, m('[1]')), /not a JSON object/);
});

test('task checks: an outbox needs a kafka block, a selected table, and messages need PostgreSQL', () => {
  const tableMappings = { rules: [{ 'rule-type': 'selection' as const, 'rule-id': '1', 'rule-name': '1', 'rule-action': 'include' as const, 'object-locator': { 'schema-name': 'shop', 'table-name': 'orders' } }] };
  const outbox = outboxSettingsSchema.parse([{ table: 'shop.outbox' }, { messagePrefix: 'outbox' }]);
  const problems = outboxProblems({ source: { engine: 'mariadb' }, tableMappings, settings: { outbox } });
  assert.deepEqual(problems.map((p) => p.path.join('.')), ['settings.outbox', 'settings.outbox.0.table', 'settings.outbox.1.messagePrefix']);
  assert.match(problems[1]!.message, /shop\.outbox is not selected by the table mapping/);
  assert.deepEqual(outboxProblems({ source: { engine: 'postgres' }, kafka: {}, tableMappings: { rules: [{ ...tableMappings.rules[0]!, 'object-locator': { 'schema-name': 'shop', 'table-name': '%' } }] }, settings: { outbox } }), []);
});
