// `ferry convert-schema` with a user that may not see every trigger and routine: MariaDB's information_schema lists
// triggers only on tables the user has the TRIGGER privilege on, and routines (with their bodies) only to users with a
// privilege on them. The catalog reader names what it could not see, and the assessment carries it as warnings with
// the GRANT that fixes it; with the privileges granted (directly or through a role) the warnings are gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import { createTableSelector } from '../../../../runtime/src/mapping/table-selection.ts';
import type { TableMapping } from '../../../../runtime/src/config/table-mapping-schema.ts';
import { convertSchema } from '../../../../runtime/src/schema-conversion/convert.ts';
import { readMySqlCatalog } from '../../src/catalog-reader.ts';
import { createDatabase, mariaPort } from './helpers.ts';

test('a catalog user without TRIGGER on some tables and without routine privileges: the report names what it could not see and the GRANT', { timeout: 60000 }, async (t) => {
  const { db, conn, drop } = await createDatabase('ferry_catpriv');
  const user = `fp_${db.slice(-8)}`;
  const role = `${user}_r`;
  t.after(async () => {
    await conn.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => undefined);
    await conn.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await drop();
  });
  await conn.query('CREATE TABLE a (id INT PRIMARY KEY)');
  await conn.query('CREATE TABLE b (id INT PRIMARY KEY)');
  await conn.query('CREATE TABLE `c d` (id INT PRIMARY KEY)');
  await conn.query('CREATE TRIGGER trg_a BEFORE INSERT ON a FOR EACH ROW SET NEW.id = NEW.id');
  await conn.query('CREATE TRIGGER trg_b BEFORE INSERT ON b FOR EACH ROW SET NEW.id = NEW.id');
  await conn.query('CREATE PROCEDURE touch_a() UPDATE a SET id = id');
  await conn.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw'`);
  await conn.query(`GRANT SELECT ON \`${db}\`.* TO '${user}'@'%'`);
  await conn.query(`GRANT TRIGGER ON \`${db}\`.\`b\` TO '${user}'@'%'`);

  const mapping: TableMapping = { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': db, 'table-name': '%' } }] } as TableMapping;
  const config = async () => ({ engine: 'mariadb', host: '127.0.0.1', port: await mariaPort(), user, password: new Secret('pw'), connectTimeoutMs: 5000 });
  const readAs = async () => readMySqlCatalog(await config() as never, createTableSelector(mapping));

  const c = await readAs();
  assert.deepEqual(c.triggers.map((x) => x.name), ['trg_b'], 'information_schema hides trg_a from this user');
  assert.deepEqual(c.routines, [], 'and the procedure');
  assert.deepEqual(c.blindSpots, [
    { kind: 'trigger', object: db, reason: `user '${user}'@'%' lacks the TRIGGER privilege on 2 selected tables (a, c d): information_schema.TRIGGERS lists no trigger of them to this user, so any trigger there is missing from this report and the DDL`, fix: `GRANT TRIGGER ON \`${db}\`.* TO '${user}'@'%' (or on each table), then run convert-schema again` },
    { kind: 'procedure', object: db, reason: `user '${user}'@'%' may not read every routine of ${db}: information_schema.ROUTINES lists only the procedures and functions the user has a privilege on, and their bodies only to their definer`, fix: `GRANT SELECT ON mysql.proc TO '${user}'@'%', then run convert-schema again` },
  ]);
  const converted = convertSchema({ catalog: c, mapping, target: 'postgres' });
  const issues = converted.assessment.issues.filter((i) => i.kind === 'trigger' || i.kind === 'procedure').map((i) => `${i.kind} ${i.object} ${i.outcome}: ${i.fix}`);
  assert.deepEqual(issues, [
    `trigger ${db}.b.trg_b manual: write a PL/pgSQL trigger function, then CREATE TRIGGER "trg_b" BEFORE INSERT ON "${db}"."b" FOR EACH ROW EXECUTE FUNCTION …()`,
    `trigger ${db} warning: GRANT TRIGGER ON \`${db}\`.* TO '${user}'@'%' (or on each table), then run convert-schema again`,
    `procedure ${db} warning: GRANT SELECT ON mysql.proc TO '${user}'@'%', then run convert-schema again`,
  ]);

  // EXECUTE lists the procedure, without its body (not the definer): named, and never copied as an empty statement.
  await conn.query(`GRANT EXECUTE ON \`${db}\`.* TO '${user}'@'%'`);
  const withExecute = await readAs();
  assert.deepEqual(withExecute.routines.map((r) => [r.name, r.definition]), [['touch_a', '']]);
  assert.match(withExecute.blindSpots!.find((b) => b.kind === 'procedure')!.reason, /; the bodies of procedure touch_a were not readable and are missing from the DDL$/);
  const same = convertSchema({ catalog: withExecute, mapping, target: 'mariadb' });
  assert.ok(!same.statements.some((s) => s.trim() === ''), 'no empty statement for the unreadable body');
  assert.equal(same.assessment.items.find((i) => i.object === `${db}.touch_a`)?.outcome, 'manual');

  // The privileges through a role (SHOW GRANTS lists the current role's grants): nothing hidden, no warnings.
  await conn.query(`CREATE ROLE ${role}`);
  await conn.query(`GRANT TRIGGER ON \`${db}\`.* TO ${role}`);
  await conn.query(`GRANT SELECT ON mysql.proc TO ${role}`);
  await conn.query(`GRANT ${role} TO '${user}'@'%'`);
  await conn.query(`SET DEFAULT ROLE ${role} FOR '${user}'@'%'`);
  const full = await readAs();
  assert.deepEqual(full.triggers.map((x) => x.name), ['trg_a', 'trg_b']);
  assert.deepEqual(full.routines.map((r) => r.name), ['touch_a']);
  assert.match(full.routines[0]!.definition, /^CREATE PROCEDURE `touch_a`\(\)/);
  assert.equal(full.blindSpots, undefined);
});
