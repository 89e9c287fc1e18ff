// Columns named outside [A-Za-z0-9_] in topics written by real Debezium (its MariaDB connector 3.5 under Kafka Connect
// standalone, field.name.adjustment.mode=avro; jars: bench/debezium/fetch.sh): with column.propagate.source.type the
// field schemas carry `__debezium.source.column.name`, and Ferry's postgres sink creates and writes the columns under
// the source names, as Debezium's JDBC sink does; a table without that option lands under the adjusted field names
// (the JDBC sink's behaviour too). Rows are compared with the source after the snapshot and after changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { libDir, startConnect, type DebeziumProcess } from '../../bench/debezium/connect.ts';
import { sinkPlugin } from '../../app/src/plugins.ts';
import { runSinkWorker } from '../../runtime/src/sink-worker/SinkWorker.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { quietLog, registry, services, uniqueName } from '../helpers/sink-kit/services.ts';
import { sleep } from '../helpers/ferry-process.ts';

const PG = { host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres' };
const SOURCE_COLUMNS = ['id', 'naïve ☃', 'back`tick'];
const line = (r: unknown[]) => r.map((x) => (x === null ? '∅' : String(x))).join('|');

test('topics from Debezium\'s MariaDB connector with odd column names: source names with column.propagate.source.type, adjusted names without', { timeout: 240000 }, async (t) => {
  const db = uniqueName('dbzodd');
  const target = uniqueName('dbzoddt');
  const my = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', charset: 'utf8mb4' });
  await my.query(`CREATE DATABASE ${db} CHARACTER SET utf8mb4`);
  for (const table of ['named', 'plain']) {
    await my.query(`CREATE TABLE ${db}.${table} (id INT PRIMARY KEY, \`naïve ☃\` VARCHAR(20), \`back\`\`tick\` INT)`);
    await my.query(`INSERT INTO ${db}.${table} VALUES ${Array.from({ length: 30 }, (_, i) => `(${i + 1}, 'ü ${i} ☃', ${i % 4 === 0 ? 'NULL' : i * 3})`).join(',')}`);
  }
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${target}`);
  const tpg = new pg.Client({ ...PG, database: target });
  await tpg.connect();
  const dir = mkdtempSync(join(tmpdir(), 'ferry-dbz-odd-'));
  const prefix = uniqueName('dbzo');
  const run: { dbz?: DebeziumProcess; worker?: Promise<unknown> } = {};
  const stop = new AbortController();
  t.after(async () => {
    stop.abort();
    await run.worker?.catch(() => undefined);
    await run.dbz?.stop();
    await tpg.end();
    await admin.query(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
    await admin.end();
    await my.query(`DROP DATABASE IF EXISTS ${db}`);
    await my.end();
  });

  run.dbz = startConnect({
    name: `${prefix}-src`, dir, restPort: 18900 + Math.floor(Math.random() * 90), lib: libDir('mariadb'), heap: '512m',
    connector: {
      name: `${prefix}-src`, 'tasks.max': 1, 'topic.prefix': prefix, 'snapshot.mode': 'initial',
      'topic.creation.default.replication.factor': 1, 'topic.creation.default.partitions': 1,
      'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
      'database.hostname': services.mariadb.host, 'database.port': services.mariadb.port, 'database.user': 'cdc', 'database.password': 'cdc',
      'database.server.id': 5900 + Math.floor(Math.random() * 90), 'database.ssl.mode': 'disable', 'database.include.list': db,
      'table.include.list': `${db}.named,${db}.plain`,
      'schema.history.internal': 'io.debezium.storage.file.history.FileSchemaHistory', 'schema.history.internal.file.filename': join(dir, 'history.dat'),
      'field.name.adjustment.mode': 'avro', 'schema.name.adjustment.mode': 'avro',
      'column.propagate.source.type': `${db}\\.named\\..*`,
    },
  });
  const sink = await sinkPlugin('postgres').create({ name: 'pg', type: 'postgres', options: { ...PG, database: target } });
  run.worker = runSinkWorker({
    brokers: services.brokers, registry: registry(), groupId: `${prefix}-ferry`, topicPrefix: prefix, sink, log: quietLog(),
    metrics: new PromMetrics({ collectProcessMetrics: false }), batch: { maxRecords: 500, maxDelayMs: 200 }, progressIntervalMs: 0,
  }, stop.signal).finally(() => sink.close());

  const expectColumns = { named: SOURCE_COLUMNS, plain: ['id', 'na_ve__', 'back_tick'] } as const;
  const converge = async (what: string) => {
    for (const table of ['named', 'plain'] as const) {
      const [rows] = await my.query({ sql: `SELECT id, \`naïve ☃\`, \`back\`\`tick\` FROM ${db}.${table} ORDER BY id`, rowsAsArray: true });
      const want = (rows as unknown[][]).map(line);
      const cols = expectColumns[table].map((c) => `"${c}"`).join(', ');
      let got: string[] = [];
      for (const until = Date.now() + 120_000; Date.now() < until;) {
        got = await tpg.query({ text: `SELECT ${cols} FROM "${db}"."${table}" ORDER BY id`, rowMode: 'array' }).then((r) => r.rows.map(line), () => []);
        if (got.join('\n') === want.join('\n')) break;
        if (run.dbz) await run.dbz.running(); // throws with Debezium's trace if its task failed
        await sleep(500);
      }
      assert.deepEqual(got, want, `${what}, ${table}: PostgreSQL differs from MariaDB (Debezium log: ${run.dbz?.log})`);
      const { rows: names } = await tpg.query('SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position', [db, table]);
      assert.deepEqual(names.map((c: { column_name: string }) => c.column_name), expectColumns[table], `${table}: the target's columns`);
    }
  };
  await converge('after the snapshot');
  for (const table of ['named', 'plain']) {
    await my.query(`UPDATE ${db}.${table} SET \`naïve ☃\` = CONCAT(\`naïve ☃\`, ' upd'), \`back\`\`tick\` = NULL WHERE id % 3 = 0`);
    await my.query(`DELETE FROM ${db}.${table} WHERE id % 5 = 0`);
    await my.query(`INSERT INTO ${db}.${table} VALUES (100, '☃', 1)`);
  }
  await converge('after inserts, updates and deletes');
});
