// The shared sink conformance suite (test/conformance/sink-suite.ts) against the MySQL sink: a target database per
// test in the local MariaDB; the table is read back with mysql2 (helpers.ts), value by value.
import { registerSinkTests } from '../../../../test/conformance/sink-suite.ts';
import { mysqlSink } from '../../src/descriptor.ts';
import { dropDatabase, tableRows, targetOptions } from '../helpers.ts';

for (const applyMode of ['batch-optimized', 'transactional'] as const) {
  registerSinkTests(mysqlSink, {
    type: 'mysql',
    async target(name) {
      const database = `${name}_${applyMode === 'transactional' ? 't' : 'b'}`;
      return {
        options: targetOptions(database, { applyMode }),
        read: async (t) => ({ rows: await tableRows(database, t.table) }),
        cleanup: () => dropDatabase(database),
      };
    },
    // MySQL YEAR holds 1901..2155.
    poison: { after: (row) => ({ ...row, yr: 3000 }), reason: /column yr: 3000 is out of range for year/ },
  });
}
