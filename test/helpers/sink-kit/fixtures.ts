/**
 * A realistic MariaDB table and workload for sink tests, shared by the lake and Redshift suites.
 *
 * Column types go through the MySQL connector's own type mapping and value converters (connectors/mysql-binlog), so
 * the events carry exactly what the real source would produce. Every value also has a target-independent
 * canonical text; readers turn what a target stored into the same text (per target SQL), and the checksum of the
 * sorted canonical rows must equal the checksum of the expected source state.
 */
import { createHash } from 'node:crypto';
import { mapColumn, type MySqlColumnDef, type MySqlTableDef } from '../../../connectors/mysql-binlog/src/type-mapping.ts';
import { makeConverter } from '../../../connectors/mysql-binlog/src/value-conversion.ts';
import { toTableSchema } from '../../../connectors/mysql-binlog/src/mysql-schema.ts';
import { binlogPosition } from '../../../core/src/position.ts';
import type { ChangeEvent, Op, Row, TableSchema } from '../../../core/src/types.ts';

/** How a column's canonical text is made and read back. */
export type Kind = 'int' | 'decimal' | 'float32' | 'float64' | 'bool' | 'bytes' | 'timestamp' | 'date' | 'time' | 'text';

interface ColSpec {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly kind: Kind;
}

const spec = (name: string, type: string, nullable: boolean, kind: Kind): ColSpec => ({ name, type, nullable, kind });

export const COLUMNS_V1: readonly ColSpec[] = [
  spec('id', 'bigint(20)', false, 'int'),
  spec('customer', 'varchar(64)', false, 'text'),
  spec('amount', 'decimal(12,2)', false, 'decimal'),
  spec('big', 'decimal(30,10)', true, 'decimal'),
  spec('wide', 'decimal(50,5)', true, 'decimal'),
  spec('ubig', 'bigint(20) unsigned', true, 'decimal'),
  spec('qty', 'int(11)', false, 'int'),
  spec('small', 'smallint(6)', true, 'int'),
  spec('tiny', 'tinyint(4)', true, 'int'),
  spec('ratio', 'float', true, 'float32'),
  spec('score', 'double', true, 'float64'),
  spec('flag', 'bit(1)', true, 'bool'),
  spec('bits', 'bit(10)', true, 'bytes'),
  spec('created', 'datetime(6)', false, 'timestamp'),
  spec('updated', 'datetime(3)', true, 'timestamp'),
  spec('seen', 'timestamp(6)', true, 'timestamp'),
  spec('born', 'date', true, 'date'),
  spec('alarm', 'time(6)', true, 'time'),
  spec('yr', 'year(4)', true, 'int'),
  spec('color', "enum('red','green','blue')", true, 'text'),
  spec('tags', "set('a','b','c')", true, 'text'),
  spec('doc', 'json', true, 'text'),
  spec('note', 'text', true, 'text'),
  spec('bin', 'varbinary(16)', true, 'bytes'),
  spec('uid', 'uuid', true, 'text'),
  spec('loc', 'point', true, 'bytes'),
];

/** Version 2 adds a column (ALTER TABLE ... ADD COLUMN added varchar(20)). */
export const COLUMNS_V2: readonly ColSpec[] = [...COLUMNS_V1, spec('added', 'varchar(20)', true, 'text')];

export function tableDef(schema: string, table: string, columns: readonly ColSpec[]): MySqlTableDef {
  const cols: MySqlColumnDef[] = columns.map((c) => ({
    name: c.name, columnType: c.type, nullable: c.nullable, charset: c.kind === 'text' && !['json', 'uuid'].includes(c.type) && !c.type.startsWith('enum') && !c.type.startsWith('set') ? 'utf8mb4' : null,
  }));
  return { schema, table, columns: cols, primaryKey: ['id'], charset: 'utf8mb4' };
}

export interface Fixture {
  readonly v1: TableSchema;
  readonly v2: TableSchema;
  readonly specs: Readonly<Record<number, readonly ColSpec[]>>;
  /** Natural (driver) row → wire row for a version. */
  toWire(version: number, natural: Row): Row;
}

export function fixture(schema = 'shop', table = 'orders'): Fixture {
  const defs = { 1: tableDef(schema, table, COLUMNS_V1), 2: tableDef(schema, table, COLUMNS_V2) };
  const convs: Record<number, ((v: unknown) => unknown)[]> = {};
  for (const [v, def] of Object.entries(defs)) {
    convs[Number(v)] = def.columns.map((c) => makeConverter(mapColumn(c), c) ?? ((x: unknown) => x));
  }
  return {
    v1: toTableSchema(defs[1], 1),
    v2: toTableSchema(defs[2], 2),
    specs: { 1: COLUMNS_V1, 2: COLUMNS_V2 },
    toWire(version, natural) {
      const specs = version === 1 ? COLUMNS_V1 : COLUMNS_V2;
      const out: Row = {};
      specs.forEach((c, i) => {
        const v = natural[c.name];
        out[c.name] = v === null || v === undefined ? null : convs[version]![i]!(v);
      });
      return out;
    },
  };
}

// ---------------------------------------------------------------- natural values and their canonical text

/** A deterministic pseudo-random generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const p2 = (n: number) => String(n).padStart(2, '0');
const frac = (n: number, digits: number) => String(n).padStart(digits, '0');

function pointBytes(x: number, y: number): Buffer {
  const b = Buffer.alloc(25);
  b.writeUInt32LE(0, 0);
  b[4] = 1;
  b.writeUInt32LE(1, 5);
  b.writeDoubleLE(x, 9);
  b.writeDoubleLE(y, 17);
  return b;
}

/** A natural row for `id` (driver representation), varying with `salt`; some nullable columns are null. */
export function naturalRow(id: number, salt: number, version: number): Row {
  const r = rng(id * 7919 + salt * 104729);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const maybe = <T>(v: T): T | null => (r() < 0.15 ? null : v);
  const day = 1 + Math.floor(r() * 28);
  const hh = Math.floor(r() * 24);
  const mm = Math.floor(r() * 60);
  const ss = Math.floor(r() * 60);
  const us = Math.floor(r() * 1e6);
  const cents = Math.floor(r() * 1e9) - 5e8;
  const row: Row = {
    id,
    customer: pick(['ada', 'Grace Hopper', 'Ümit "the" Örs', 'naïve, comma', 'line\nbreak', '😀 emoji', '']),
    amount: `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${frac(Math.abs(cents) % 100, 2)}`,
    big: maybe(`${pick(['', '-'])}${Math.floor(r() * 1e15)}${Math.floor(r() * 1e5)}.${frac(Math.floor(r() * 1e10), 10)}`),
    wide: maybe(`${pick(['', '-'])}${'9'.repeat(20)}${Math.floor(r() * 1e15)}${Math.floor(r() * 1e9)}.${frac(Math.floor(r() * 1e5), 5)}`),
    ubig: maybe(pick(['18446744073709551615', '0', String(Math.floor(r() * 1e15)), '9223372036854775808'])),
    qty: Math.floor(r() * 2 ** 31) * (r() < 0.5 ? -1 : 1),
    small: maybe(Math.floor(r() * 65536) - 32768),
    tiny: maybe(Math.floor(r() * 256) - 128),
    ratio: maybe(Math.round((r() * 2000 - 1000) * 1000) / 1000),
    score: maybe(r() * 1e6 - 5e5),
    flag: maybe(Buffer.from([r() < 0.5 ? 0 : 1])),
    bits: maybe(Buffer.from([Math.floor(r() * 4), Math.floor(r() * 256)])),
    created: `20${p2(10 + Math.floor(r() * 20))}-${p2(1 + Math.floor(r() * 12))}-${p2(day)} ${p2(hh)}:${p2(mm)}:${p2(ss)}.${frac(us, 6)}`,
    updated: maybe(`2024-02-${p2(day)} ${p2(hh)}:${p2(mm)}:${p2(ss)}.${frac(Math.floor(us / 1000), 3)}`),
    seen: maybe(`2025-0${1 + Math.floor(r() * 9)}-${p2(day)} ${p2(hh)}:${p2(mm)}:${p2(ss)}.${frac(us, 6)}`),
    born: maybe(`19${p2(Math.floor(r() * 100))}-${p2(1 + Math.floor(r() * 12))}-${p2(day)}`),
    alarm: maybe(`${p2(hh)}:${p2(mm)}:${p2(ss)}.${frac(us, 6)}`),
    yr: maybe(1901 + Math.floor(r() * 254)),
    color: maybe(pick(['red', 'green', 'blue'])),
    tags: maybe(pick(['', 'a', 'a,b', 'a,b,c', 'c'])),
    doc: maybe(JSON.stringify({ id, n: Math.floor(r() * 100), big: '12345678901234567890', s: 'x"y' })),
    note: maybe(pick(['plain', 'tab\tand "quotes", commas', 'x'.repeat(300), 'nul-free \\ backslash', '€ £ ¥'])),
    bin: maybe(Buffer.from(Array.from({ length: Math.floor(r() * 16) }, () => Math.floor(r() * 256)))),
    uid: maybe(`${frac(id, 8)}-0000-4000-8000-${frac(salt, 12)}`),
    loc: maybe(pointBytes(Math.round(r() * 360 - 180), Math.round(r() * 180 - 90))),
  };
  if (version >= 2) row.added = maybe(`added ${salt}`);
  return row;
}

export const NULL_TEXT = '\\N';

/** The canonical text of a natural value of a column. */
export function canonical(c: ColSpec, v: unknown): string {
  if (v === null || v === undefined) return NULL_TEXT;
  switch (c.kind) {
    case 'int': return String(v);
    case 'decimal': return String(v);
    case 'float32': return Math.fround(Number(v)).toPrecision(6);
    case 'float64': return Number(v).toPrecision(15);
    case 'bool': return (v as Buffer).some((b) => b !== 0) ? 'true' : 'false';
    case 'bytes':
      if (c.type.startsWith('bit')) return Buffer.from([...(v as Buffer)].reverse()).toString('hex');
      if (c.type === 'point') return (v as Buffer).subarray(4).toString('hex');
      return (v as Buffer).toString('hex');
    case 'timestamp': {
      const s = String(v);
      const dot = s.indexOf('.');
      return dot < 0 ? `${s}.000000` : `${s.slice(0, dot)}.${s.slice(dot + 1).padEnd(6, '0')}`;
    }
    case 'date': return String(v);
    case 'time': return String(v).includes('.') ? String(v) : `${String(v)}.000000`;
    case 'text': return String(v);
  }
}

/** Normalises text a target returned for a column to canonical text (floats need rounding to compare). */
export function normalizeRead(c: ColSpec, text: string | null): string {
  if (text === null) return NULL_TEXT;
  if (c.kind === 'float32') return Number(text).toPrecision(6);
  if (c.kind === 'float64') return Number(text).toPrecision(15);
  return text;
}

/** DuckDB SQL turning a lake column into canonical text (NULL stays NULL). */
export function duckCanonicalSql(c: ColSpec): string {
  const q = `"${c.name}"`;
  switch (c.kind) {
    case 'timestamp': return `strftime(${q}, '%Y-%m-%d %H:%M:%S.%f')`;
    case 'date': return `strftime(${q}, '%Y-%m-%d')`;
    case 'time': return `strftime(DATE '2000-01-01' + ${q}, '%H:%M:%S.%f')`;
    case 'bytes': return `lower(hex(${q}))`;
    default: return `CAST(${q} AS VARCHAR)`;
  }
}

/** PostgreSQL SQL turning a Redshift-stand-in column into canonical text. */
export function pgCanonicalSql(c: ColSpec): string {
  const q = `"${c.name}"`;
  switch (c.kind) {
    case 'timestamp': return c.type.startsWith('timestamp') ? `to_char(${q} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')` : `to_char(${q}, 'YYYY-MM-DD HH24:MI:SS.US')`;
    case 'date': return `to_char(${q}, 'YYYY-MM-DD')`;
    case 'time': return `to_char(DATE '2000-01-01' + ${q}, 'HH24:MI:SS.US')`;
    case 'bytes': return `encode(${q}, 'hex')`;
    case 'bool': return `CASE WHEN ${q} IS NULL THEN NULL WHEN ${q} THEN 'true' ELSE 'false' END`;
    default: return `CAST(${q} AS VARCHAR)`;
  }
}

export function canonicalRow(columns: readonly ColSpec[], row: Row): string {
  return columns.map((c) => canonical(c, row[c.name])).join('|');
}

export function checksum(rows: readonly string[]): string {
  return createHash('sha256').update([...rows].sort().join('\n')).digest('hex');
}

// ---------------------------------------------------------------- a workload

export interface WorkloadEvent {
  readonly event: ChangeEvent;
  readonly version: number;
}

export interface Workload {
  readonly events: readonly ChangeEvent[];
  /** Expected final state: id → natural row (under the latest columns; missing added column = null). */
  readonly state: ReadonlyMap<number, Row>;
  readonly counts: Readonly<Record<Op, number>>;
}

export interface WorkloadOptions {
  readonly prefix: string;
  readonly rows: number;
  /** Changes after the initial rows, per schema version. */
  readonly changesV1: number;
  readonly changesV2: number;
  readonly seed?: number;
  /** Make the first `snapshotRows` inserts snapshot reads (op 'r', one shared position). */
  readonly snapshotRows?: number;
}

/**
 * Inserts `rows` rows (the first `snapshotRows` as snapshot reads), then `changesV1` random inserts, updates and
 * deletes under version 1, then the column is added and `changesV2` more under version 2. Events are grouped into
 * transactions of 1-4 events sharing a binlog position, as the MySQL source emits them.
 */
export function workload(fx: Fixture, o: WorkloadOptions): Workload {
  const r = rng(o.seed ?? 42);
  const state = new Map<number, { version: number; natural: Row }>();
  const events: ChangeEvent[] = [];
  const counts: Record<Op, number> = { r: 0, c: 0, u: 0, d: 0, t: 0 };
  let pos = 4;
  let txLeft = 0;
  let salt = 0;
  let ts = Date.UTC(2025, 0, 1);
  const snapshotPos = binlogPosition({ file: 'mariadb-bin.000001', pos });
  const position = (snapshot: boolean) => {
    if (snapshot) return snapshotPos;
    if (txLeft <= 0) {
      pos += 1000;
      txLeft = 1 + Math.floor(r() * 4);
      ts += Math.floor(r() * 3_600_000);
    }
    txLeft--;
    return binlogPosition({ file: 'mariadb-bin.000001', pos });
  };
  const emit = (op: Op, version: number, before: Row | null, after: Row | null, id: number, snapshot = false) => {
    const table = version === 1 ? fx.v1 : fx.v2;
    const position_ = position(snapshot);
    events.push({
      op, key: { id }, before: before && fx.toWire(version, before), after: after && fx.toWire(version, after), tsMs: ts, table,
      source: { connector: 'mariadb', name: o.prefix, tsMs: snapshot ? Date.UTC(2025, 0, 1) : ts, snapshot: snapshot ? 'true' : 'false', db: table.id.schema, table: table.id.table, position: position_ },
    });
    counts[op]++;
  };
  let nextId = 1;
  const insert = (version: number, snapshot: boolean) => {
    const id = nextId++;
    const natural = naturalRow(id, ++salt, version);
    state.set(id, { version, natural });
    emit(snapshot ? 'r' : 'c', version, null, natural, id, snapshot);
  };
  for (let i = 0; i < o.rows; i++) insert(1, i < (o.snapshotRows ?? 0));
  const change = (version: number) => {
    const x = r();
    const ids = [...state.keys()];
    if (x < 0.3 || ids.length === 0) return insert(version, false);
    const id = ids[Math.floor(r() * ids.length)]!;
    const prev = state.get(id)!;
    const beforeRow = prev.version === version ? prev.natural : upgrade(prev.natural, version);
    if (x < 0.85) {
      const natural = { ...naturalRow(id, ++salt, version), id };
      state.set(id, { version, natural });
      emit('u', version, beforeRow, natural, id);
    } else {
      state.delete(id);
      emit('d', version, beforeRow, null, id);
    }
  };
  for (let i = 0; i < o.changesV1; i++) change(1);
  for (let i = 0; i < o.changesV2; i++) change(2);
  const final = new Map<number, Row>();
  for (const [id, s] of state) final.set(id, upgrade(s.natural, 2));
  return { events, state: final, counts };
}

function upgrade(row: Row, version: number): Row {
  return version >= 2 && !('added' in row) ? { ...row, added: null } : row;
}

/** The expected state's canonical rows under the latest columns. */
export function expectedRows(w: Workload): string[] {
  return [...w.state.values()].map((row) => canonicalRow(COLUMNS_V2, row));
}
