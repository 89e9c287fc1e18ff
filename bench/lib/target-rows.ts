/**
 * Compares a database target with the expected final state row by row and column by column (issue #26: "Debezium-aware
 * consumers work unchanged" must be shown on the target's data, not only on aggregates). Used by bench/sink-database.ts
 * for every tool it runs (Ferry's sink worker and Debezium's JDBC sink consuming the topics Ferry's KafkaEventSink
 * wrote), after its count/sum check.
 *
 * Each column is read back as text in the target's own formatting and compared with the value the generator put in the
 * event, canonicalised from its wire form: Decimal bytes → decimal text (trailing zeros dropped), MicroTimestamp µs →
 * `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), integers and doubles as numbers (a double equal as a JavaScript number), strings
 * as they are. Rows are read in primary-key order, 50,000 at a time, so a 1M-row target is compared in bounded memory.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Column, Row, TableSchema } from '../../core/src/types.ts';
import { bytesToDecimal } from '../../schemas/src/decimal.ts';

export interface TargetRowsInput {
  readonly target: 'postgres' | 'mysql';
  readonly connection: { readonly host: string; readonly port: number; readonly user: string; readonly password: string; readonly database: string };
  /** PostgreSQL schema, or MariaDB database, of the target tables. */
  readonly schemaOrDb: string;
  /** The target tables; with more than one, key `id` lives in table `id % tables.length`. */
  readonly tables: readonly string[];
  /** The source table's shape (column names and wire types); the key is its single primary-key column. */
  readonly table: TableSchema;
  /** The expected final state: its keys, and the generator's row in wire form for a key (undefined: not expected). */
  readonly expectedKeys: () => Iterable<number>;
  readonly expectedRow: (id: number) => Row | undefined;
}

const PAGE = 50_000;
const MICRO_TS = new Set(['io.debezium.time.MicroTimestamp']);

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function microsToText(us: number): string {
  const ms = Math.floor(us / 1000);
  const d = new Date(ms);
  const frac = us - Math.floor(us / 1_000_000) * 1_000_000;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(frac, 6)}`;
}

const trimDecimal = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

/** The expected value of a column, from its wire form, in the form the target's text is normalised to. */
function canonicalWire(c: Column, v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (c.type.logical === 'org.apache.kafka.connect.data.Decimal') return trimDecimal(bytesToDecimal(v as Buffer, Number(c.type.params?.scale ?? 0)));
  if (c.type.logical !== undefined && MICRO_TS.has(c.type.logical)) return microsToText(Number(v));
  if (c.type.type === 'string') return String(v);
  return Number(v);
}

/** The target's text of a column, normalised like canonicalWire. */
function canonicalTarget(c: Column, v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  if (c.type.logical === 'org.apache.kafka.connect.data.Decimal') return trimDecimal(s);
  if (c.type.logical !== undefined && MICRO_TS.has(c.type.logical)) return s;
  if (c.type.type === 'string') return s;
  return Number(s);
}

function selectList(target: TargetRowsInput['target'], columns: readonly Column[]): string {
  return columns.map((c) => {
    const q = target === 'postgres' ? `"${c.name}"` : `\`${c.name}\``;
    if (c.type.logical !== undefined && MICRO_TS.has(c.type.logical)) {
      return target === 'postgres' ? `to_char(${q}, 'YYYY-MM-DD HH24:MI:SS.US') AS ${q}` : `DATE_FORMAT(${q}, '%Y-%m-%d %H:%i:%s.%f') AS ${q}`;
    }
    return target === 'postgres' ? `${q}::text AS ${q}` : `CAST(${q} AS CHAR) AS ${q}`;
  }).join(', ');
}

/**
 * Reads every target row and compares each column with the expected row. Returns a one-line summary
 * (`every column of N rows equal`); throws naming the first differences (up to 5), missing and unexpected keys.
 */
export async function compareTargetRows(input: TargetRowsInput): Promise<string> {
  const { table, target } = input;
  const key = table.primaryKey[0]!;
  const columns = table.columns;
  const n = input.tables.length;
  let pgc: pg.Client | null = null;
  let my: mysql.Connection | null = null;
  if (target === 'postgres') {
    pgc = new pg.Client({ ...input.connection });
    await pgc.connect();
    await pgc.query("SET TIME ZONE 'UTC'");
  } else {
    my = await mysql.createConnection({ ...input.connection, supportBigNumbers: true, bigNumberStrings: true, dateStrings: true });
    await my.query("SET time_zone = '+00:00'");
  }
  const diffs: string[] = [];
  let compared = 0;
  let unexpected = 0;
  const seen = new Set<number>();
  try {
    for (let k = 0; k < n; k++) {
      const t = input.tables[k]!;
      const from = target === 'postgres' ? `"${input.schemaOrDb}"."${t}"` : `\`${input.schemaOrDb}\`.\`${t}\``;
      const kq = target === 'postgres' ? `"${key}"` : `\`${key}\``;
      let last = -1;
      for (;;) {
        // ORDER BY the table's column, qualified: the bare name would be the select list's text alias (text order).
        const sql = `SELECT ${selectList(target, columns)} FROM ${from} WHERE ${kq} > ${last} ORDER BY ${from}.${kq} LIMIT ${PAGE}`;
        const rows = (pgc ? (await pgc.query(sql)).rows : (await my!.query(sql))[0]) as Record<string, unknown>[];
        for (const r of rows) {
          const id = Number(r[key]);
          last = id;
          const want = input.expectedRow(id);
          if (want === undefined || (n > 1 && id % n !== k)) { unexpected++; if (diffs.length < 5) diffs.push(`${t}: unexpected key ${id}`); continue; }
          seen.add(id);
          compared++;
          for (const c of columns) {
            const a = canonicalTarget(c, r[c.name]);
            const b = canonicalWire(c, want[c.name]);
            if (a !== b && diffs.length < 5) diffs.push(`${t} key ${id} column ${c.name}: target ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`);
          }
        }
        if (rows.length < PAGE) break;
      }
    }
  } finally {
    await pgc?.end();
    await my?.end();
  }
  const missing: number[] = [];
  for (const id of input.expectedKeys()) if (!seen.has(id)) missing.push(id);
  if (missing.length > 0 && diffs.length < 5) diffs.push(`${missing.length} expected keys missing, e.g. ${missing.slice(0, 3).join(', ')}`);
  if (diffs.length > 0 || missing.length > 0 || unexpected > 0) {
    throw new Error(`target ${input.schemaOrDb}.${input.tables.join(',')} differs from the expected state (${compared} rows compared): ${diffs.join('; ')}`);
  }
  return `every column of ${compared} rows equal`;
}
