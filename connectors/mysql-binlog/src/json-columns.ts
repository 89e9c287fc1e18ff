/**
 * `source.mariadbJsonAs`: how a MariaDB JSON column travels.
 *
 * MariaDB's JSON is a LONGTEXT with a `json_valid()` check. Ferry recognises the check and types the column
 * `io.debezium.data.Json` (`json`, the default), as it types MySQL's native JSON. Debezium's MariaDB connector does
 * not: its events carry such a column as a plain `string`. `string` makes Ferry's schema match Debezium's field for
 * field (docs/event-format.md, "Where Ferry differs from Debezium"). The values are the same text either way; only
 * the field's schema changes. MySQL's native JSON (source type `json`) stays `io.debezium.data.Json` in both modes,
 * as in Debezium's MySQL connector.
 */
import type { ChangeBatch, ChangeEvent, Column, TableSchema } from '../../../core/src/types.ts';

export type MariaDbJsonAs = 'json' | 'string';

const JSON_LOGICAL = 'io.debezium.data.Json';

/** Whether a column is MariaDB's JSON (a LONGTEXT Ferry typed as Json from its check constraint). */
function isMariaDbJson(c: Column): boolean {
  return c.type.logical === JSON_LOGICAL && !/^json\b/i.test(c.sourceType);
}

/** The table with its MariaDB JSON columns typed as plain strings; the same object when it has none. */
export function mariaDbJsonAsString(table: TableSchema): TableSchema {
  if (!table.columns.some(isMariaDbJson)) return table;
  return { ...table, columns: table.columns.map((c) => (isMariaDbJson(c) ? { ...c, type: { type: 'string' } } : c)) };
}

/**
 * The source's batches with `mariadbJsonAs: string` applied to every event's table. Each table version is mapped once
 * (events of one version share their TableSchema object); events of tables without MariaDB JSON pass unchanged.
 */
export async function* withMariaDbJsonAsString(batches: AsyncIterable<ChangeBatch>): AsyncGenerator<ChangeBatch> {
  const mapped = new WeakMap<TableSchema, TableSchema>();
  const tableOf = (t: TableSchema): TableSchema => {
    let m = mapped.get(t);
    if (m === undefined) mapped.set(t, (m = mariaDbJsonAsString(t)));
    return m;
  };
  for await (const batch of batches) {
    let events: ChangeEvent[] | null = null;
    for (let i = 0; i < batch.events.length; i++) {
      const e = batch.events[i]!;
      const t = tableOf(e.table);
      if (t === e.table && events === null) continue;
      events ??= batch.events.slice(0, i);
      events.push(t === e.table ? e : { ...e, table: t });
    }
    yield events === null ? batch : { ...batch, events };
  }
}
