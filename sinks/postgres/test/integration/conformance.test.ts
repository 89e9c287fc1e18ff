// The shared sink conformance suite (test/conformance/sink-suite.ts) against the PostgreSQL sink: a target schema
// per test in the local PostgreSQL; the table is read back with pg (helpers.ts), value by value.
import { registerSinkTests } from '../../../../test/conformance/sink-suite.ts';
import { postgresSink } from '../../src/descriptor.ts';
import { dropSchema, tableRows, targetOptions } from '../helpers.ts';

for (const applyMode of ['batch-optimized', 'transactional'] as const) {
  registerSinkTests(postgresSink, {
    type: 'postgres',
    async target(name) {
      const schema = `${name}_${applyMode === 'transactional' ? 't' : 'b'}`;
      return {
        options: targetOptions(schema, { applyMode }),
        read: async (t) => ({ rows: await tableRows(schema, t.table) }),
        cleanup: () => dropSchema(schema),
      };
    },
    // PostgreSQL text cannot store U+0000.
    poison: { after: (row) => ({ ...row, note: 'nul \u0000 inside' }), reason: /note holds a NUL character/ },
  });
}
