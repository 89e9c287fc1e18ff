/** The MySQL/MariaDB sink as a plugin (core/src/plugin.ts): target `mysql`. The sink and mysql2 load when a task uses it. */
import type { SinkPlugin } from '../../../core/src/plugin.ts';
import { mysqlSinkSchema, type MySqlSinkConfigInput } from './config.ts';

/** Options parsed once per target (destinationOf is called for every table). */
const parsed = new WeakMap<object, ReturnType<typeof mysqlSinkSchema.parse>>();

export const mysqlSink: SinkPlugin = {
  kind: 'sink',
  types: ['mysql'],
  summary: 'MySQL 8 / MariaDB tables created from the event schema: LOAD DATA or multi-row INSERT full load, net-change or transactional CDC apply, exactly-once through positions applied in the target',
  docs: 'docs/sinks/mysql.md',
  options: () => mysqlSinkSchema,
  prerequisites: [
    'a user with CREATE, ALTER, DROP, SELECT, INSERT, UPDATE, DELETE on the target databases and the state database (CREATE on *.* when target databases are created per source schema)',
  ],
  async create(o) {
    const { MySqlSink } = await import('./MySqlSink.ts');
    return new MySqlSink({ name: o.name, config: o.options as MySqlSinkConfigInput });
  },
  destinationOf(t, o) {
    let c = parsed.get(o.options);
    if (!c) parsed.set(o.options, (c = mysqlSinkSchema.parse(o.options)));
    // Database and table names are case-sensitive on Linux servers (lower_case_table_names = 0), as compared here.
    return { kind: 'table', name: `${c.database ?? t.schema}.${t.table}` };
  },
};
