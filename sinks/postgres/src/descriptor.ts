/** The PostgreSQL sink as a plugin (core/src/plugin.ts): target `postgres`. The sink and pg load when a task uses it. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { postgresSinkSchema, type PostgresSinkConfigInput } from './config.ts';

/** Options parsed once per target (destinationOf is called for every table). */
const parsed = new WeakMap<object, ReturnType<typeof postgresSinkSchema.parse>>();

export const postgresSink: SinkPlugin = {
  kind: 'sink',
  types: ['postgres'],
  summary: 'PostgreSQL tables created from the event schema: COPY full load, net-change or transactional CDC apply, exactly-once through positions applied in the target',
  docs: 'docs/sinks/postgres.md',
  options: () => postgresSinkSchema,
  prerequisites: [
    'a user with CREATE on the database (or the target schemas created beforehand with CREATE on them)',
    'superuser or GRANT SET ON PARAMETER session_replication_role to load with triggers and foreign keys off (else a warning)',
  ],
  async create(o) {
    const { PostgresSink } = await import('./PostgresSink.ts');
    return new PostgresSink({ name: o.name, config: o.options as PostgresSinkConfigInput });
  },
  destinationOf(t, o) {
    let c = parsed.get(o.options);
    if (!c) parsed.set(o.options, (c = postgresSinkSchema.parse(o.options)));
    return { kind: 'table', name: `${c.schema ?? t.schema}.${t.table}` };
  },
};
