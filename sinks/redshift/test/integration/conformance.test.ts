// The shared sink conformance suite (test/conformance/sink-suite.ts) against the Redshift sink through the TEST-ONLY
// PostgreSQL stand-in (TestOnlyPgCopyExecutor.ts: what it proves and what it cannot): a staging bucket and a target
// schema per test; the table is read back with pg (helpers.ts). descriptor.create cannot take an executor, so the
// fixture builds the sink itself with the stand-in (the suite still validates the options with the descriptor).
import { registerSinkTests } from '../../../../test/conformance/sink-suite.ts';
import { createBucket, S3 } from '../../../../test/helpers/sink-kit/services.ts';
import { redshiftSink } from '../../src/descriptor.ts';
import type { RedshiftConfigInput } from '../../src/config.ts';
import { dropSchema, standIn, tableRows, withPg } from '../helpers.ts';

registerSinkTests(redshiftSink, {
  type: 'redshift',
  async target(name) {
    const bucket = name.replace(/_/g, '-').toLowerCase();
    await createBucket(bucket);
    return {
      options: {
        connection: { host: 'unused', database: 'unused', user: 'unused', password: 'unused' },
        targetSchema: name, stateSchema: name,
        staging: { location: `s3://${bucket}/staging`, s3: { ...S3 } },
        copyAuth: { iamRole: 'arn:aws:iam::123456789012:role/ferry-copy' },
      },
      async read(t) {
        const exists = await withPg(async (c) => (await c.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [name, t.table])).rowCount);
        return { rows: exists ? await tableRows(name, t.table) : [] };
      },
      cleanup: () => dropSchema(name),
    };
  },
  async create(o) {
    const { RedshiftSink } = await import('../../src/RedshiftSink.ts');
    return new RedshiftSink({ name: o.name, config: o.options as RedshiftConfigInput, executor: standIn() });
  },
  // A string longer than VARCHAR(varcharLength) (65535 bytes by default) cannot be loaded.
  poison: { after: (row) => ({ ...row, note: 'é'.repeat(40_000) }), reason: /does not fit VARCHAR\(65535\)/ },
});
