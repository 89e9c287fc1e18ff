// The shared source conformance suite (test/conformance/source-suite.ts) against the local PostgreSQL.
import { postgresSource } from '../../src/descriptor.ts';
import { registerSourceTests, type FixtureScope, type SourceFixture } from '../../../../test/conformance/source-suite.ts';
import { createAllTypes, EXPECTED, INSERT_COLUMNS, rowsWithIds } from '../fixtures/all-types.ts';
import { Secret } from '../../../../runtime/src/config/secrets.ts';
import { connect, createSchema, DATABASE, PG_PORT } from './helpers.ts';

const fixture: SourceFixture = {
  engine: 'postgres',
  async open(): Promise<FixtureScope> {
    // drop() removes the schema and every slot and publication whose name contains it: the suite names its
    // tasks <schema>_<test>, so the slots and publications ferry_<task> go with it.
    const s = await createSchema('ferry_conf');
    const second = await connect('cdc');
    await second.query(`SET search_path = ${s.schema}, public`);
    return {
      namespace: s.schema,
      source: async () => ({ engine: 'postgres', host: '127.0.0.1', port: PG_PORT, user: 'cdc', password: new Secret('cdc'), database: DATABASE, connectTimeoutMs: 5000 }),
      exec: async (sql, session = 1) => { await (session === 1 ? s.owner : second).query(sql); },
      createTable: async (name) => {
        await s.owner.query(`CREATE TABLE ${name} (id int PRIMARY KEY, v varchar(50), n int)`);
        await s.owner.query(`ALTER TABLE ${name} REPLICA IDENTITY FULL`);
      },
      createTypes: () => createAllTypes(s.admin, s.owner, s.schema),
      close: async () => { await second.end(); await s.drop(); },
    };
  },
  types: {
    table: 'all_types',
    insert: (offset) => `INSERT INTO all_types (${INSERT_COLUMNS}) VALUES ${rowsWithIds(offset).join(', ')}`,
    expected: (offset) => Object.entries(EXPECTED).map(([id, row]) => ({ id: Number(id) + offset, ...row })),
  },
};

registerSourceTests(postgresSource, fixture);
