/** The Iceberg sink as a plugin (core/src/plugin.ts): target `iceberg`. DuckDB, pg and the AWS SDK load when a task uses it. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { icebergSchema, type IcebergConfigInput } from './config.ts';

/** Options parsed once per target (destinationOf is called for every table). */
const parsed = new WeakMap<object, ReturnType<typeof icebergSchema.parse>>();

export const icebergSink: SinkPlugin = {
  kind: 'sink',
  types: ['iceberg'],
  summary: 'Apache Iceberg tables (v2) in a SQL or REST catalog on S3 or a local folder: upsert with position or equality deletes, or append with DMS change columns; exactly once',
  docs: 'docs/sinks/iceberg.md',
  options: () => icebergSchema,
  prerequisites: [
    'SQL catalog: the catalog database is reachable (PostgreSQL: CREATE on its schema for iceberg_tables, or the tables made beforehand; SQLite: a writable file)',
    'REST catalog: the endpoint is reachable and the principal may create namespaces and tables and commit to them',
    'the warehouse bucket exists (s3://…) or the folder is writable; s3:ListBucket, s3:PutObject, s3:GetObject, s3:DeleteObject',
  ],
  async create(o) {
    const { IcebergSink } = await import('./IcebergSink.ts');
    return new IcebergSink({ name: o.name, config: o.options as IcebergConfigInput });
  },
  destinationOf(t, o) {
    let c = parsed.get(o.options);
    if (!c) parsed.set(o.options, (c = icebergSchema.parse(o.options)));
    return { kind: 'table', name: `${c.namespace ?? t.schema}.${t.table}` };
  },
};
