// Issue #17's end-to-end check, MariaDB → PostgreSQL: the realistic shop of convert-schema-fixtures.ts (11 tables,
// foreign keys, indexes, every common MariaDB type, a keyless table, a trigger, a procedure) migrated with `ferry
// run` full-load-and-cdc (direct mode, then Kafka mode with `ferry sink` and 2 partitions per topic), tables dropped
// and created by the sink, while the application inserts, updates and deletes across the tables. Then both sides are
// read by direct queries and compared row by row, value by value (test/helpers/migration-kit/canonical.ts says what
// is equal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueName } from '../helpers/services.ts';
import { seededRandom } from '../helpers/random-values.ts';
import { MARIADB_SHOP_TABLES, MariadbShop } from '../helpers/migration-kit/shop-mariadb.ts';
import { tables } from '../helpers/migration-kit/canonical.ts';
import { migrate } from '../helpers/migration-kit/migrate.ts';
import { MARIADB_SOURCE, PG_TARGET, manualItems, mariadbRoot, pgClient } from '../helpers/migration-kit/run.ts';

for (const kafka of [null, { partitions: 2 }]) {
  test(`MariaDB → PostgreSQL, ${kafka ? 'Kafka mode (ferry run + ferry sink)' : 'direct mode'}: full-load-and-cdc of the shop under live changes; the target equals the source value by value`, { timeout: 300000 }, async (t) => {
    const db = uniqueName(kafka ? 'ferry_mig_mpk' : 'ferry_mig_mp');
    const r = seededRandom();
    const source = await mariadbRoot();
    const target = await pgClient('postgres');
    const shop = new MariadbShop(source, db, r);
    t.after(async () => {
      await shop.drop();
      await source.end();
      await target.query(`DROP SCHEMA IF EXISTS "${db}" CASCADE`);
      await target.end();
    });
    await shop.create({ customers: 1500, products: 400, orders: 3000 });
    const m = await migrate({
      name: db, sourceSchema: db, sourceConfig: MARIADB_SOURCE, assessmentSource: { ...MARIADB_SOURCE, user: 'root', password: 'root' }, targetEngine: 'postgres', ...(kafka ? { kafka } : {}),
      source: { engine: 'mariadb', client: source, schema: db }, target: { engine: 'postgres', client: target, schema: db },
      targetConfig: { type: 'postgres', ...PG_TARGET, stateSchema: db },
      change: () => shop.change(),
    });
    t.diagnostic(`seed ${r.seed}: ${m.report}`);
    assert.equal(m.assessment.status, 0, m.assessment.stderr);
    assert.deepEqual(manualItems(m.assessment.items, ['trigger', 'procedure']), [`procedure ${db}.close_order: manual`, `trigger ${db}.orders.trg_orders_bi: manual`]);
    assert.deepEqual(await tables({ engine: 'mariadb', client: source, schema: db }), MARIADB_SHOP_TABLES.slice().sort());
    assert.ok(m.changesDuringLoad > 0, `changes ran during the full load (${m.changesDuringLoad})`);
    assert.deepEqual(m.diff, [], m.report);
  });
}
