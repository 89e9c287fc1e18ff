/** The Redshift sink as a plugin (core/src/plugin.ts): target `redshift`. pg, DuckDB and the AWS SDK load lazily. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { redshiftSchema, type RedshiftConfigInput } from './config.ts';

export const redshiftSink: SinkPlugin = {
  kind: 'sink',
  types: ['redshift'],
  summary: 'S3 staging + COPY + MERGE per batch, exactly-once through positions applied in the target',
  docs: 'docs/sinks/redshift.md',
  options: () => redshiftSchema,
  prerequisites: [
    'a staging bucket Redshift can COPY from (an IAM role on the cluster, or credentials)',
    'a user with CREATE on the target schema, or the tables created beforehand',
  ],
  async create(o) {
    const { RedshiftSink } = await import('./RedshiftSink.ts');
    return new RedshiftSink({ name: o.name, config: o.options as RedshiftConfigInput });
  },
};
