// Issue #17's end-to-end check, PostgreSQL → MariaDB: the blog of convert-schema-fixtures.ts grown to 10 tables
// (shop-postgres.ts: foreign keys, indexes, uuid, numeric, bit, inet, interval, arrays, jsonb, bytea, timestamptz, a
// keyless table, a trigger with its function, a procedure) migrated with `ferry run` full-load-and-cdc in direct
// mode, tables dropped and created by the sink, while the application inserts, updates and deletes across the tables.
// Then both sides are read by direct queries and compared row by row, value by value (migration-kit/canonical.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueName } from '../helpers/services.ts';
import { seededRandom } from '../helpers/random-values.ts';
import { dropPgTaskObjects } from '../helpers/ferry-process.ts';
import { MYSQL_TARGET_SOURCE_OPTIONS, POSTGRES_SHOP_TABLES, PostgresShop } from '../helpers/migration-kit/shop-postgres.ts';
import { tables } from '../helpers/migration-kit/canonical.ts';
import { migrate } from '../helpers/migration-kit/migrate.ts';
import { MARIADB_TARGET, PG_SOURCE, manualItems, mariadbRoot, pgClient } from '../helpers/migration-kit/run.ts';

test('PostgreSQL → MariaDB, direct mode: full-load-and-cdc of the blog under live changes; the target equals the source value by value', { timeout: 300000 }, async (t) => {
  const name = uniqueName('ferry_mig_pm');
  const r = seededRandom();
  const admin = await pgClient('postgres');
  await admin.query(`CREATE SCHEMA "${name}" AUTHORIZATION cdc`);
  const owner = await pgClient('cdc');
  const target = await mariadbRoot();
  t.after(async () => {
    await owner.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await admin.end();
    await target.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await target.end();
  });
  const shop = new PostgresShop(owner, name, r);
  await shop.create({ customers: 1500, products: 1500, orders: 4000 });
  const m = await migrate({
    name, sourceSchema: name, sourceConfig: { ...PG_SOURCE, ...MYSQL_TARGET_SOURCE_OPTIONS }, targetEngine: 'mariadb',
    source: { engine: 'postgres', client: owner, schema: name }, target: { engine: 'mariadb', client: target, schema: name },
    targetConfig: { type: 'mysql', ...MARIADB_TARGET, stateDatabase: name },
    change: () => shop.change(),
  });
  t.diagnostic(`seed ${r.seed}: ${m.report}`);
  assert.equal(m.assessment.status, 0, m.assessment.stderr);
  assert.deepEqual(manualItems(m.assessment.items, ['trigger', 'function', 'procedure']), [
    `function ${name}.touch_post: manual`, `procedure ${name}.close_account: manual`, `trigger ${name}.posts.posts_touch: manual`]);
  assert.deepEqual(await tables({ engine: 'postgres', client: owner, schema: name }), POSTGRES_SHOP_TABLES);
  assert.deepEqual(m.diff, [], m.report);
  assert.ok(m.changesDuringLoad > 0, `changes ran during the full load (${m.changesDuringLoad})`);
});
