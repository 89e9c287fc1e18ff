// Issue #17's end-to-end check, PostgreSQL → PostgreSQL: the 10-table blog of shop-postgres.ts (with float and
// numeric NaN/±Infinity, intervals with months, bit varying values shorter than declared, and an 11th table of
// ±infinity dates and timestamps; source options SPECIALS_SOURCE_OPTIONS) migrated into another schema of the same server
// (the sink's `schema` option) with `ferry run` full-load-and-cdc in direct mode, tables dropped and created by the
// sink, while the application inserts, updates and deletes across the tables. Then both sides are read by direct
// queries and compared row by row, value by value (migration-kit/canonical.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueName } from '../helpers/services.ts';
import { seededRandom } from '../helpers/random-values.ts';
import { dropPgTaskObjects } from '../helpers/ferry-process.ts';
import { PostgresShop, SPECIALS_SOURCE_OPTIONS } from '../helpers/migration-kit/shop-postgres.ts';
import { migrate } from '../helpers/migration-kit/migrate.ts';
import { PG_SOURCE, PG_TARGET, manualItems, pgClient } from '../helpers/migration-kit/run.ts';

test('PostgreSQL → PostgreSQL, direct mode: full-load-and-cdc of the blog under live changes; the target equals the source value by value', { timeout: 300000 }, async (t) => {
  const name = uniqueName('ferry_mig_pp');
  const copy = `${name}_copy`;
  const r = seededRandom();
  const admin = await pgClient('postgres');
  await admin.query(`CREATE SCHEMA "${name}" AUTHORIZATION cdc`);
  const owner = await pgClient('cdc');
  const target = await pgClient('postgres');
  t.after(async () => {
    await owner.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await admin.query(`DROP SCHEMA IF EXISTS "${copy}" CASCADE`);
    await admin.end();
    await target.end();
  });
  // NaN, ±Infinity (float and numeric), ±infinity, intervals with months: only PostgreSQL holds them, and the source
  // options carry them exactly (numeric and interval as text, bit varying as its bit string)
  const shop = new PostgresShop(owner, name, r, { specials: true });
  await shop.create({ customers: 1500, products: 1500, orders: 4000 });
  const m = await migrate({
    name, sourceSchema: name, sourceConfig: { ...PG_SOURCE, ...SPECIALS_SOURCE_OPTIONS }, targetEngine: 'postgres',
    source: { engine: 'postgres', client: owner, schema: name }, target: { engine: 'postgres', client: target, schema: copy },
    targetConfig: { type: 'postgres', ...PG_TARGET, schema: copy, stateSchema: copy },
    change: () => shop.change(),
  });
  t.diagnostic(`seed ${r.seed}: ${m.report}`);
  assert.equal(m.assessment.status, 0, m.assessment.stderr);
  // same engine: the trigger is copied natively; the procedure and the trigger's function are copied verbatim and
  // flagged for review (their bodies may name the source schema, and the target is another schema)
  assert.deepEqual(manualItems(m.assessment.items, ['trigger', 'function', 'procedure']), [
    `function ${name}.touch_post: warning`, `procedure ${name}.close_account: warning`, `trigger ${name}.posts.posts_touch: auto`]);
  assert.equal(m.assessment.items.find((i) => i.kind === 'procedure')?.reason, 'the body is copied verbatim and may name the source schema');
  assert.deepEqual(m.diff, [], m.report);
  assert.ok(m.changesDuringLoad > 0, `changes ran during the full load (${m.changesDuringLoad})`);
});
