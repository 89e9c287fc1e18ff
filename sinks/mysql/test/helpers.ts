/**
 * MySQL sink test helpers: the target (the local MariaDB, a unique database per test) and reading a table back with
 * mysql2 (not the sink's code) as the sink kit's canonical text.
 */
import mysql from 'mysql2/promise';
import { services } from '../../../test/helpers/services.ts';
import { COLUMNS_V2, normalizeRead } from '../../../test/helpers/sink-kit/fixtures.ts';

export const MARIA = { host: services.mariadb.host, port: services.mariadb.port, user: 'root', password: 'root' };

/** The sink options for a target database of the local MariaDB. */
export function targetOptions(database: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { host: MARIA.host, port: MARIA.port, user: MARIA.user, password: MARIA.password, database, stateDatabase: database, ...extra };
}

export async function withMaria<T>(f: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ ...MARIA, charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: true, dateStrings: true });
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

export async function query<T = Record<string, unknown>>(statement: string, params: unknown[] = []): Promise<T[]> {
  return withMaria(async (c) => (await c.query(statement, params))[0] as T[]);
}

export async function dropDatabase(database: string): Promise<void> {
  await withMaria((c) => c.query(`DROP DATABASE IF EXISTS \`${database}\``));
}

/** SQL turning a target column into the kit's canonical text (NULL stays NULL). */
function canonicalSql(c: (typeof COLUMNS_V2)[number]): string {
  const q = `\`${c.name}\``;
  if (c.type.startsWith('bit(') && c.kind === 'bytes') return `CAST(${q} + 0 AS CHAR)`;
  if (c.type === 'point') return `LOWER(HEX(ST_AsWKB(${q})))`;
  switch (c.kind) {
    case 'timestamp': return `DATE_FORMAT(${q}, '%Y-%m-%d %H:%i:%s.%f')`;
    case 'date': return `DATE_FORMAT(${q}, '%Y-%m-%d')`;
    case 'time': return `TIME_FORMAT(${q}, '%H:%i:%s.%f')`;
    case 'bytes': return `LOWER(HEX(${q}))`;
    case 'bool': return `CASE WHEN ${q} IS NULL THEN NULL WHEN ${q} THEN 'true' ELSE 'false' END`;
    case 'float32': return `CAST(${q} AS DOUBLE)`;
    // The text protocol's DOUBLE is not always the stored value (94108.11751149595 reads as …596); CAST AS CHAR is.
    case 'float64': return `CAST(${q} AS CHAR)`;
    default: return `CAST(${q} AS CHAR)`;
  }
}

/** BIT(n) read as an integer → the kit's canonical hex (the little-endian wire bytes). */
function bitsCanonical(n: string, bits: number): string {
  const bytes = Math.ceil(bits / 8);
  const be = Buffer.from(BigInt(n).toString(16).padStart(bytes * 2, '0'), 'hex');
  return Buffer.from([...be].reverse()).toString('hex');
}

/** The table's rows as the kit's canonical text (fixture columns; a column the table lacks reads as NULL). */
export async function tableRows(database: string, table = 'orders'): Promise<string[]> {
  return withMaria(async (c) => {
    const [cols] = await c.query('SELECT COLUMN_NAME AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, table]);
    const have = new Set((cols as { n: string }[]).map((r) => r.n));
    if (have.size === 0) return [];
    const select = COLUMNS_V2.map((col) => (have.has(col.name) ? `${canonicalSql(col)} AS \`${col.name}\`` : `NULL AS \`${col.name}\``));
    const [rows] = await c.query(`SELECT ${select.join(', ')} FROM \`${database}\`.\`${table}\``);
    return (rows as Record<string, unknown>[]).map((row) => COLUMNS_V2.map((col) => {
      const v = row[col.name];
      if (v === null || v === undefined) return normalizeRead(col, null);
      if (col.type.startsWith('bit(') && col.kind === 'bytes') return bitsCanonical(String(v), Number(/\d+/.exec(col.type)![0]));
      return normalizeRead(col, String(v));
    }).join('|'));
  });
}
