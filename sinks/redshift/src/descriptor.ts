/** The Redshift sink as a plugin (core/src/plugin.ts): target `redshift`. pg, DuckDB and the AWS SDK load lazily. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { redshiftSchema, type RedshiftConfigInput } from './config.ts';
import { targetTableRef } from './naming.ts';

/** Options parsed once per target (destinationOf is called for every table). */
const parsed = new WeakMap<object, ReturnType<typeof redshiftSchema.parse>>();

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
  // Redshift folds identifiers to lower case (naming.ts): "T" and t are one table.
  destinationOf(t, o) {
    let c = parsed.get(o.options);
    if (!c) parsed.set(o.options, (c = redshiftSchema.parse(o.options)));
    const ref = targetTableRef(c.targetSchema, t);
    return { kind: 'table', name: `${ref.schema}.${ref.table}` };
  },
};
