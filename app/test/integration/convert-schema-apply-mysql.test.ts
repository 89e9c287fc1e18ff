// `ferry convert-schema --apply` on a MySQL/MariaDB target (the real CLI process, the live PostgreSQL and MariaDB):
// the task's mysql target gets the converted DDL of the PostgreSQL fixture schema, every table in the target's
// `database` key (not the source schema's name), with its foreign keys, indexes, checks, the view and the sequence;
// a second --apply finds the tables in the way and applies nothing (MySQL DDL cannot be rolled back); an unreachable
// target exits 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services, uniqueName } from '../../../test/helpers/services.ts';
import { POSTGRES_SCHEMA } from './convert-schema-fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ferry-convert-schema-my-'));

function ferry(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ferry.js'), 'convert-schema', ...args], { encoding: 'utf8', timeout: 60000, cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('convert-schema --apply: the task\'s mysql target (and its database key) gets the DDL; tables in the way stop it before anything runs', { timeout: 120000 }, async (t) => {
  const schema = uniqueName('ferry_csm_pg');
  const target = `${schema}_target`;
  const pgc = new pg.Client({ host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres', database: 'shop' });
  await pgc.connect();
  const my = await mysql.createConnection({ host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root' });
  t.after(async () => {
    await pgc.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pgc.end();
    await my.query(`DROP DATABASE IF EXISTS \`${target}\``).catch(() => undefined);
    await my.query(`DROP DATABASE IF EXISTS \`${schema}\``).catch(() => undefined);
    await my.end();
  });
  await pgc.query(`CREATE SCHEMA "${schema}"`);
  await pgc.query(`SET search_path = "${schema}", public`);
  for (const s of POSTGRES_SCHEMA) await pgc.query(s);
  await pgc.query('RESET search_path');
  const file = join(dir, 'csm-apply.json');
  writeFileSync(file, JSON.stringify({
    name: 'csm-apply', migrationType: 'full-load',
    source: { engine: 'postgres', host: services.postgres.host, port: services.postgres.port, user: 'postgres', password: 'postgres', database: 'shop' },
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': schema, 'table-name': '%' } }] },
    targets: [{ type: 'mysql', name: 'maria', host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root', database: target }],
  }));
  const ok = ferry(file, '--apply', '--out', join(dir, 'apply-1'));
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /^applied \d+ statements to the target maria$/m);
  const q = async (sql: string, params: unknown[] = []) => ((await my.query(sql, params))[0] as Record<string, unknown>[]).map((r) => Object.values(r).map(String).join(' '));
  // (the `mysql` dialect has no sequences: ticket_seq is a manual item; `--target mariadb` creates it)
  assert.deepEqual((await q('SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [target])).sort(),
    ['account_posts VIEW', 'accounts BASE TABLE', 'counters BASE TABLE', 'events BASE TABLE', 'posts BASE TABLE', 'raw_log BASE TABLE']);
  assert.deepEqual(await q('SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [schema]), ['0'], 'nothing in a database named like the source schema');
  // The DDL applied is schema.sql's statements: the same tables, keys and indexes as the file (tested in convert-schema.test.ts)
  const sql = readFileSync(join(dir, 'apply-1', 'schema.sql'), 'utf8');
  assert.match(sql, new RegExp(`CREATE TABLE \`${target}\`\\.\`posts\``));
  assert.equal((sql.match(/ADD CONSTRAINT `[^`]+` FOREIGN KEY/g) ?? []).length, 2);
  const fks = await q('SELECT TABLE_NAME, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY 1, 2', [target]);
  assert.deepEqual(fks, ['events posts', 'posts accounts']);
  const indexes = await q("SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME <> 'PRIMARY' ORDER BY 1, 2", [target]);
  const created = [...sql.matchAll(/^CREATE (?:UNIQUE )?INDEX `([^`]+)` ON `[^`]+`\.`([^`]+)`/gm)].map((m) => `${m[2]} ${m[1]}`);
  for (const ix of created) assert.ok(indexes.includes(ix), `${ix} exists in ${indexes.join(', ')}`);
  // A second --apply: the tables are there; nothing runs
  const again = ferry(file, '--apply', '--json', '--out', join(dir, 'apply-2'));
  assert.equal(again.status, 1, again.stderr);
  const error = (JSON.parse(again.stdout) as { error: { code: string; message: string; details: { stage: string } } }).error;
  assert.equal(error.code, 'FERRY_TARGET_DDL');
  assert.equal(error.details.stage, 'preflight');
  assert.match(error.message, new RegExp(`^the target maria already has ${target}\\.accounts, ${target}\\.counters, .*; nothing was applied`));
  // After a full load (the sinks create tables, keys and indexes): --after-load adds the foreign keys and the view
  for (const r of (await my.query(`SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS c FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`, [target]))[0] as { t: string; c: string }[]) {
    await my.query(`ALTER TABLE \`${target}\`.\`${r.t}\` DROP FOREIGN KEY \`${r.c}\``);
  }
  await my.query(`DROP VIEW \`${target}\`.account_posts`);
  const after = ferry(file, '--apply', '--after-load', '--out', join(dir, 'apply-after'));
  assert.equal(after.status, 0, after.stderr + after.stdout);
  assert.match(after.stdout, /^applied 4 statements to the target maria$/m); // two foreign keys, USE, the view
  assert.deepEqual(await q('SELECT TABLE_NAME, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY 1, 2', [target]), fks);
  assert.deepEqual(await q("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?", [target]), ['account_posts']);
  const usage = ferry(file, '--after-load', '--out', join(dir, 'apply-usage'));
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /^error: --after-load goes with --apply$/m);
  // the target is down: exit 3
  writeFileSync(file, readFileSync(file, 'utf8').replace(`"port":${services.mariadb.port},"user":"root","password":"root","database"`, '"port":1,"user":"root","password":"root","database"'));
  const down = ferry(file, '--apply', '--json', '--out', join(dir, 'apply-3'));
  assert.equal(down.status, 3, down.stderr);
  assert.equal((JSON.parse(down.stdout) as { error: { code: string } }).error.code, 'FERRY_TARGET_DDL');
});
