// Issue #17's chaos check, MariaDB → PostgreSQL: kill -9 of the whole task in direct mode (`ferry run` with no
// Kafka), full-load-and-cdc of the realistic shop (foreign keys, every common type, a keyless table) large enough
// that the full load takes a few seconds, while the application keeps inserting, updating and deleting. The process
// is SIGKILLed six times — three while the snapshot is read, three during CDC — and restarted with the same state
// directory each time; afterwards the target equals the source, row by row and value by value
// (test/helpers/migration-kit/chaos.ts).
import { test } from 'node:test';
import { uniqueName } from '../helpers/services.ts';
import { seededRandom } from '../helpers/random-values.ts';
import { MariadbShop } from '../helpers/migration-kit/shop-mariadb.ts';
import { MARKS } from '../helpers/migration-kit/ids.ts';
import { CHAOS_KILLS, assertChaos, chaosMigration } from '../helpers/migration-kit/chaos.ts';
import { MARIADB_SOURCE, PG_TARGET, mariadbRoot, pgClient } from '../helpers/migration-kit/run.ts';

test('kill -9 chaos, MariaDB → PostgreSQL (direct mode): six kills during the full load and CDC under live changes, then the target equals the source', { timeout: 300000 }, async (t) => {
  const db = uniqueName('ferry_chaos_mp');
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
  await shop.create({ customers: 8000, products: 2500, orders: 20000 });
  const result = await chaosMigration({
    name: db, sourceSchema: db, sourceConfig: MARIADB_SOURCE, targetEngine: 'postgres',
    source: { engine: 'mariadb', client: source, schema: db }, target: { engine: 'postgres', client: target, schema: db },
    targetConfig: { type: 'postgres', ...PG_TARGET, stateSchema: db }, change: () => shop.change(), snapshotStarted: () => { shop.mark = MARKS[1]; },
  }, { ...CHAOS_KILLS, keyless: ['audit_log'], random: () => r.next() });
  t.diagnostic(`seed ${r.seed}: ${result.report}`);
  await assertChaos(t, result, false);
});
