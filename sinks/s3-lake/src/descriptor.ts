/** The data-lake sink as a plugin (core/src/plugin.ts): targets `parquet` and `csv`. DuckDB and the AWS SDK load lazily. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { lakeSchema, type LakeConfigInput } from './config.ts';
import { tableFolder } from './naming.ts';

/** The format comes from the target type, so it is not one of the target's keys. */
const lakeOptions = lakeSchema.omit({ format: true });

/** Options parsed once per target (destinationOf is called for every table). */
const parsed = new WeakMap<object, ReturnType<typeof lakeOptions.parse>>();

export const lakeSink: SinkPlugin = {
  kind: 'sink',
  types: ['parquet', 'csv'],
  summary: 'Parquet or CSV files on S3 or a local folder, Hive partitions, DMS change columns',
  docs: 'docs/sinks/s3-lake.md',
  options: () => lakeOptions,
  prerequisites: ['the bucket exists (s3://…) or the folder is writable; s3:ListBucket, s3:PutObject, s3:GetObject, s3:DeleteObject'],
  async create(o) {
    const { S3LakeSink } = await import('./S3LakeSink.ts');
    return new S3LakeSink({ name: o.name, config: { ...(o.options as LakeConfigInput), format: o.type as 'parquet' | 'csv' } });
  },
  // One folder per table, <location>/<schema>/<table>/ with one-to-one escaping (naming.ts).
  destinationOf(t, o) {
    let c = parsed.get(o.options);
    if (!c) parsed.set(o.options, (c = lakeOptions.parse(o.options)));
    return { kind: 'folder', name: tableFolder(c.location, t) };
  },
};
