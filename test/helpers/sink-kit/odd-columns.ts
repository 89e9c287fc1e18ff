/**
 * A MariaDB table whose columns are named outside [A-Za-z0-9_] and renamed during CDC, as change events of the MySQL
 * source (its column definitions, type mapping and value converters), for the relational sinks' tests: the events
 * carry Avro-adjusted field names with the source names in `__debezium.source.column.name`, and the earlier source
 * names of a rename in `__ferry.source.column.renamed_from`.
 *
 *   v1  id, `naïve ☃` varchar(20), `back``tick` int
 *   v2  RENAME `naïve ☃` TO `b c`            (an odd name to an odd name)
 *   v3  RENAME `back``tick` TO plain          (an odd name to a valid one)
 */
import { mapColumn, type MySqlColumnDef } from '../../../connectors/mysql-binlog/src/type-mapping.ts';
import { makeConverter } from '../../../connectors/mysql-binlog/src/value-conversion.ts';
import { toTableSchema } from '../../../connectors/mysql-binlog/src/mysql-schema.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import type { ChangeEvent, Op, Row, TableSchema } from '../../../core/src/types.ts';

interface Version {
  readonly schema: TableSchema;
  wire(row: Row): Row;
}

type Col = [name: string, columnType: string, renamedFrom?: string[]];

function version(cols: Col[], v: number): Version {
  const columns: MySqlColumnDef[] = cols.map(([name, columnType, renamedFrom]) => ({ name, columnType, nullable: name !== 'id', charset: columnType.startsWith('varchar') ? 'utf8mb4' : null, ...(renamedFrom ? { renamedFrom } : {}) }));
  const def = { schema: 'shop', table: 'odd cols', columns, primaryKey: ['id'], charset: 'utf8mb4' };
  const convs = def.columns.map((c) => makeConverter(mapColumn(c), c) ?? ((x: unknown) => x));
  return {
    schema: toTableSchema(def, v),
    wire: (row) => Object.fromEntries(def.columns.map((c, i) => [c.name, row[c.name] === null || row[c.name] === undefined ? null : convs[i]!(row[c.name])])),
  };
}

const V1 = version([['id', 'int(11)'], ['naïve ☃', 'varchar(20)'], ['back`tick', 'int(11)']], 1);
const V2 = version([['id', 'int(11)'], ['b c', 'varchar(20)', ['naïve ☃']], ['back`tick', 'int(11)']], 2);
const V3 = version([['id', 'int(11)'], ['b c', 'varchar(20)', ['naïve ☃']], ['plain', 'int(11)', ['back`tick']]], 3);

/** The target's columns at the end, in order. */
export const ODD_FINAL_COLUMNS = ['id', 'b c', 'plain'];
/** The target's rows at the end (id|b c|plain, NULL as 'NULL'), by id. */
export const ODD_FINAL_ROWS = ['1|one|10', '2|two-3|NULL', '3|three|30', '5|five|50'];

/** Snapshot reads and changes across the three versions; the keys and images use the source's column names. */
export function oddColumnEvents(prefix: string): ChangeEvent[] {
  let pos = 4;
  const ev = (v: Version, op: Op, before: Row | null, after: Row | null): ChangeEvent => {
    pos += 100;
    const img = after ?? before;
    return {
      op, key: img ? { id: img.id } : null, before: before && v.wire(before), after: after && v.wire(after), tsMs: 0, table: v.schema,
      source: { connector: 'mariadb', name: prefix, tsMs: 0, snapshot: op === 'r' ? 'true' : 'false', db: 'shop', table: 'odd cols', position: binlogPosition({ file: 'mariadb-bin.000001', pos }) },
    } as ChangeEvent;
  };
  return [
    ev(V1, 'r', null, { id: 1, 'naïve ☃': 'one', 'back`tick': 10 }),
    ev(V1, 'c', null, { id: 2, 'naïve ☃': 'two', 'back`tick': 20 }),
    ev(V1, 'u', { id: 2, 'naïve ☃': 'two', 'back`tick': 20 }, { id: 2, 'naïve ☃': 'two-2', 'back`tick': 20 }),
    ev(V1, 'c', null, { id: 4, 'naïve ☃': 'four', 'back`tick': 40 }),
    ev(V2, 'c', null, { id: 3, 'b c': 'three', 'back`tick': 30 }),
    ev(V2, 'u', { id: 2, 'b c': 'two-2', 'back`tick': 20 }, { id: 2, 'b c': 'two-3', 'back`tick': 21 }),
    ev(V2, 'd', { id: 4, 'b c': 'four', 'back`tick': 40 }, null),
    ev(V3, 'c', null, { id: 5, 'b c': 'five', plain: 50 }),
    ev(V3, 'u', { id: 2, 'b c': 'two-3', plain: 21 }, { id: 2, 'b c': 'two-3', plain: null }),
  ];
}
