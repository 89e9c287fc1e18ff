// kill -9 Ferry repeatedly during full-load-and-cdc while the application keeps writing, then check that the latest
// value per key on Kafka equals the source table, by checksum, with nothing missing and nothing extra.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { services, uniqueName } from '../helpers/services.ts';
import { latestState, readDecoded } from '../helpers/topic-reader.ts';
import { bytesToDecimal } from '../../schemas/src/decimal.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const INITIAL_ROWS = 60000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startFerry(taskFile: string, logFile: string): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'run', taskFile], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FERRY_LOG_LEVEL: 'warn' } });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  child.on('exit', () => writeFileSync(logFile, log, { flag: 'a' }));
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) throw new Error(`ferry exited early with ${child.exitCode}`);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function canonical(row: Record<string, unknown>): string {
  const d = row.d instanceof Uint8Array ? bytesToDecimal(row.d, 2) : String(row.d);
  return `${String(row.id)}|${String(row.v)}|${String(row.s)}|${d}`;
}

test('kill -9 during full-load-and-cdc under write load loses nothing', { timeout: 600000 }, async () => {
  const db = uniqueName('ferry_crash');
  const prefix = db;
  const admin = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', bigNumberStrings: true, supportBigNumbers: true });
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, v BIGINT NOT NULL, s VARCHAR(64), d DECIMAL(12,2) NOT NULL)`);
  for (let i = 0; i < INITIAL_ROWS; i += 5000) {
    const rows = Array.from({ length: 5000 }, (_, j) => [i + j + 1, i + j, `row ${i + j}`, ((i + j) % 10000) / 100]);
    await admin.query(`INSERT INTO ${db}.items VALUES ?`, [rows]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ferry-crash-'));
  const taskFile = join(dir, 'task.json');
  writeFileSync(taskFile, JSON.stringify({
    name: prefix,
    source: { engine: 'mariadb', ...services.mariadb, user: 'cdc', password: 'cdc' },
    migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: prefix, partitions: 3 },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state'), snapshot: { chunkSize: 2000, parallelism: 2 }, batch: { maxEvents: 2000, maxDelayMs: 20 } },
  }));

  // The application: inserts, updates and deletes in small transactions until told to stop.
  let writing = true;
  let nextId = INITIAL_ROWS + 1;
  const writer = (async () => {
    const c = await mysql.createConnection({ ...services.mariadb, user: 'root', password: 'root', database: db });
    let n = 0;
    while (writing) {
      const r = n++ % 10;
      const id = 1 + Math.floor(Math.random() * (nextId - 1));
      if (r < 4) await c.query('INSERT INTO items VALUES (?, ?, ?, ?)', [nextId++, n, `new ${n}`, (n % 1000) / 10]);
      else if (r < 8) await c.query('UPDATE items SET v = v + 1, s = ?, d = d + 0.01 WHERE id = ?', [`upd ${n}`, id]);
      else if (r < 9) await c.query('DELETE FROM items WHERE id = ?', [id]);
      else {
        await c.beginTransaction();
        await c.query('INSERT INTO items VALUES (?, ?, ?, ?)', [nextId++, n, `tx ${n}`, 1.5]);
        await c.query('UPDATE items SET v = v * 2 WHERE id = ?', [id]);
        await c.commit();
      }
      if (n % 50 === 0) await sleep(5);
    }
    await c.end();
  })();

  const logFile = join(dir, 'ferry.log');
  const kills = [700, 2500, 1200, 3000, 900, 2000];
  for (const after of kills) {
    const child = startFerry(taskFile, logFile);
    await sleep(after);
    await kill9(child);
  }
  writing = false;
  await writer;
  // The final run catches up; poll until Kafka matches the table or time runs out.
  const final = startFerry(taskFile, logFile);
  const [rows] = await admin.query(`SELECT id, v, s, d FROM ${db}.items ORDER BY id`);
  const source = (rows as Record<string, unknown>[]).map(canonical);
  const sourceSum = createHash('sha256').update(source.join('\n')).digest('hex');
  let kafkaSum = '';
  let missing: string[] = [];
  let extra: string[] = [];
  const deadline = Date.now() + 240000;
  while (Date.now() < deadline) {
    await sleep(3000);
    const state = latestState(await readDecoded(`${prefix}.${db}.items`));
    const kafka = [...state.values()].map(canonical).sort((a, b) => Number(a.split('|')[0]) - Number(b.split('|')[0]));
    kafkaSum = createHash('sha256').update(kafka.join('\n')).digest('hex');
    if (kafkaSum === sourceSum) break;
    const have = new Set(kafka);
    const want = new Set(source);
    missing = source.filter((r) => !have.has(r)).slice(0, 5);
    extra = kafka.filter((r) => !want.has(r)).slice(0, 5);
  }
  final.kill('SIGTERM');
  await new Promise((r) => final.once('exit', r));
  await admin.query(`DROP DATABASE ${db}`);
  await admin.end();
  assert.equal(kafkaSum, sourceSum, `Kafka state differs from the table (${source.length} rows); missing e.g. ${missing.join('; ')}; extra e.g. ${extra.join('; ')}; log ${logFile}`);
  assert.ok(source.length > INITIAL_ROWS / 2);
});
