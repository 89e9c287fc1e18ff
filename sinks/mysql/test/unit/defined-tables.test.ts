// The CREATE TABLE the MySQL/MariaDB sink builds from a table definition (the schema conversion's): converted clauses,
// the sink's NO PAD collation for cross-engine text, timetz as the event's varchar(32), generated columns the events
// carry as plain columns, NOT NULL only where rows carry the column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkColumn, SinkFieldType, SinkTable, TargetTableDefinition } from '../../../../core/src/record-sink.ts';
import { definedCreateTable } from '../../src/defined-tables.ts';

const t = (connect: SinkFieldType['connect'], logical?: string): SinkFieldType => ({ connect, ...(logical ? { logical } : {}) });
const col = (name: string, type: SinkFieldType, optional = true): SinkColumn => ({ name, type, optional });

test('definedCreateTable', () => {
  const def: TargetTableDefinition = {
    source: 'public.t', schema: 'db', table: 't', before: [], after: [], indexes: [],
    tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin AUTO_INCREMENT=5',
    columns: [
      { name: 'id', type: 'int', nullable: false, identity: ' AUTO_INCREMENT' },
      { name: 'email', type: 'varchar(120)', nullable: false, collation: ' COLLATE utf8mb4_bin' },
      { name: 'tz', type: 'time(6)', nullable: true },
      { name: 'at', type: 'datetime(6)', nullable: false, default: 'CURRENT_TIMESTAMP(6)', onUpdate: 'CURRENT_TIMESTAMP(6)' },
      { name: 'calc', type: 'int', nullable: true, generated: ' GENERATED ALWAYS AS (`id` * 2) VIRTUAL' },
      { name: 'twice', type: 'int', nullable: true, generated: ' GENERATED ALWAYS AS (`id` * 2) STORED' },
      { name: 'gone', type: 'int', nullable: false },
    ],
    primaryKey: ['id'], constraints: [{ kind: 'unique', sql: 'CONSTRAINT `t_email` UNIQUE (`email`)' }, { kind: 'check', sql: 'CONSTRAINT `ck` CHECK (`id` > 0)' }],
  };
  const latest = {
    topic: 'x', schema: 'public', table: 't', primaryKey: ['id'], version: 'v1', keySchema: null, valueSchema: { type: 'record', name: 'Envelope', fields: [] },
    columns: [col('id', t('int32'), false), col('email', t('string'), false), col('tz', t('string', 'io.debezium.time.ZonedTime')), col('at', t('int64', 'io.debezium.time.MicroTimestamp'), false), col('twice', t('int32'))],
  } as unknown as SinkTable;
  const { create, notes } = definedCreateTable(def, { database: 'db', table: 't' }, latest, { mariadb: true, version: [10, 11, 0] }, 'utf8mb4_nopad_bin');
  assert.equal(create, 'CREATE TABLE IF NOT EXISTS `db`.`t` (\n'
    + '  `id` int AUTO_INCREMENT NOT NULL,\n'
    + '  `email` varchar(120) COLLATE utf8mb4_nopad_bin NOT NULL,\n'
    + '  `tz` varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NULL,\n'
    + '  `at` datetime(6) DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6) NOT NULL,\n'
    + '  `calc` int GENERATED ALWAYS AS (`id` * 2) VIRTUAL,\n'
    + '  `twice` int NULL,\n'
    + '  `gone` int NULL,\n'
    + '  PRIMARY KEY (`id`),\n'
    + '  KEY `t_email` (`email`),\n' // a secondary unique key is a plain index on MySQL targets (mysql-unique-keys.ts)
    + '  CONSTRAINT `ck` CHECK (`id` > 0)\n'
    + ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin AUTO_INCREMENT=5');
  assert.deepEqual(notes, ['tz varchar(32) (converted: time(6))']);
});
