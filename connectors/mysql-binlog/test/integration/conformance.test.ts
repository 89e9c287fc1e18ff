// The shared source conformance suite (test/conformance/source-suite.ts) against the local MariaDB.
import { mysqlSource } from '../../src/descriptor.ts';
import { registerSourceTests, type FixtureScope, type SourceFixture } from '../../../../test/conformance/source-suite.ts';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import { ALL_TYPES_DDL, allTypesExpected, allTypesValues } from './fixtures.ts';
import { admin, createDatabase, mariaPort, testServerId } from './helpers.ts';

const insertTypes = (offset: number) => `INSERT INTO all_types VALUES ${allTypesValues(offset)}`;

const fixture: SourceFixture = {
  engine: 'mariadb',
  async open(): Promise<FixtureScope> {
    const { db, conn, drop } = await createDatabase('ferry_conf');
    const second = await admin(db);
    const port = await mariaPort();
    return {
      namespace: db,
      source: async () => ({
        engine: 'mariadb', host: '127.0.0.1', port, user: 'cdc', password: new Secret('cdc'), connectTimeoutMs: 5000,
        serverId: testServerId(),
      }),
      exec: async (sql, session = 1) => { await (session === 1 ? conn : second).query(sql); },
      createTable: async (name) => { await conn.query(`CREATE TABLE \`${name}\` (id INT PRIMARY KEY, v VARCHAR(50), n INT)`); },
      createTypes: async () => { await conn.query(ALL_TYPES_DDL); await conn.query(insertTypes(0)); },
      close: async () => { await second.end(); await drop(); },
    };
  },
  types: { table: 'all_types', insert: insertTypes, expected: allTypesExpected },
};

registerSourceTests(mysqlSource, fixture);
