/**
 * Property test: a stored row gives the same value in its snapshot read (op 'r', COPY text) as in its pgoutput
 * image (op 'c'), for random values of every numeric, temporal, string, binary, JSON and array type. Random rows
 * go into `snap` before the source starts; once the snapshot is done, `INSERT INTO strm SELECT * FROM snap`
 * streams the very same stored values, and each column is compared exactly (Object.is for numbers: -0 ≠ 0, NaN =
 * NaN). Values are sent as text parameters, parsed by the server's input functions. The seed is printed; replay
 * a failure with FERRY_TEST_SEED=<seed>.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { ChangeEvent, Row } from '../../../../core/src/types.ts';
import { collect, createSchema, dataEvents, sourceOptions, type TestSchema } from './helpers.ts';
import {
  anyFloat32, seededRandom, testBytes, testDecimal, testDouble, testInteger, testString, type Random,
} from '../../../../test/helpers/random-values.ts';

const ROWS = 1000;

let s: TestSchema;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const frac = (r: Random, digits: number) => (digits === 0 || r.chance(0.2) ? '' : `.${String(r.int(0, 10 ** digits - 1)).padStart(digits, '0')}`);
/** PostgreSQL text has no NUL. */
const str = (r: Random, max: number) => testString(r, max).replace(/\0/g, '0');
const int = (r: Random, lo: bigint, hi: bigint) => String(testInteger(r, lo, hi));
/** A float as PostgreSQL's input reads it: specials spelled out, -0 kept. */
const float = (x: number) => (Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : Object.is(x, -0) ? '-0' : x.toExponential());
const SPECIAL_FLOATS = [NaN, Infinity, -Infinity, -0, 0];
const f8 = (r: Random) => float(r.chance(0.08) ? r.pick(SPECIAL_FLOATS) : testDouble(r));
const f4 = (r: Random) => float(r.chance(0.08) ? r.pick(SPECIAL_FLOATS) : r.chance(0.7) ? anyFloat32(r) : Math.fround(testDouble(r) % 3e38));
/** A date from 4713 BC to 294276 AD (timestamps) or 5874897 AD (dates), sometimes ±infinity. */
const date = (r: Random, maxYear: number) => {
  if (r.chance(0.04)) return r.pick(['infinity', '-infinity']);
  const bc = r.chance(0.1);
  const year = bc ? r.int(1, 4713) : r.chance(0.1) ? r.int(1, maxYear) : r.int(1, 9999);
  return `${pad(year, 4)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}${bc ? ' BC' : ''}`;
};
const clock = (r: Random, digits: number) => (r.chance(0.03) ? '24:00:00' : `${pad(r.int(0, 23))}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}${frac(r, digits)}`);
const offset = (r: Random) => `${r.chance(0.5) ? '-' : '+'}${pad(r.int(0, 15))}:${pad(r.int(0, 59))}`;
const timestamp = (r: Random, digits: number, zone: boolean) => {
  const d = date(r, 294275);
  if (d.endsWith('infinity')) return d;
  const bc = d.endsWith(' BC');
  const t = `${d.replace(' BC', '')} ${clock(r, digits).replace('24:00:00', '23:59:59')}${zone ? offset(r) : ''}`;
  return bc ? `${t} BC` : t;
};
const interval = (r: Random) => {
  const sign = () => (r.chance(0.3) ? '-' : '');
  return `${sign()}${r.int(0, 10000)} years ${sign()}${r.int(0, 11)} mons ${sign()}${r.int(0, 40)} days ${sign()}${r.int(0, 2000)}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}${frac(r, 6)}`;
};
/** An array literal of `items`, each double-quoted with `"` and `\` escaped; null elements unquoted. */
const array = (items: ReadonlyArray<string | null>) => `{${items.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
const some = <T>(r: Random, n: number, gen: () => T): T[] => Array.from({ length: r.int(0, n) }, gen);
const json = (r: Random) => `{"n": ${float(testDouble(r))}, "big": ${testInteger(r, -(2n ** 80n), 2n ** 80n)},  "s": ${JSON.stringify(str(r, 12))}, "a": [1.50, null, true]}`;
const bits = (r: Random, n: number) => Array.from({ length: n }, () => r.int(0, 1)).join('');

/** Column name → [SQL type, value generator (text, parsed by the type's input function)]. */
const COLUMNS: ReadonlyArray<readonly [string, string, (r: Random) => string]> = [
  ['c_int2', 'smallint', (r) => int(r, -32768n, 32767n)],
  ['c_int4', 'integer', (r) => int(r, -2147483648n, 2147483647n)],
  ['c_int8', 'bigint', (r) => int(r, -(2n ** 63n), 2n ** 63n - 1n)],
  ['c_oid', 'oid', (r) => int(r, 0n, 4294967295n)],
  ['c_f4', 'real', f4],
  ['c_f8', 'double precision', f8],
  ['c_num', 'numeric(38,9)', (r) => testDecimal(r, 38, 9)],
  ['c_numv', 'numeric', (r) => ((sc) => testDecimal(r, sc + r.int(1, 40), sc))(r.int(0, 30))],
  ['c_money', 'money', (r) => testDecimal(r, 17, 2)],
  ['c_bool', 'boolean', (r) => r.pick(['t', 'f'])],
  ['c_text', 'text', (r) => str(r, 200)],
  ['c_varchar', 'varchar(50)', (r) => str(r, 50)],
  ['c_char', 'char(10)', (r) => str(r, 10)],
  ['c_bytea', 'bytea', (r) => `\\x${testBytes(r, r.int(0, 100)).toString('hex')}`],
  ['c_date', 'date', (r) => date(r, 5874896)],
  ['c_time', 'time', (r) => clock(r, 6)],
  ['c_time3', 'time(3)', (r) => clock(r, 3)],
  ['c_timetz', 'timetz', (r) => `${clock(r, 6)}${offset(r)}`],
  ['c_ts', 'timestamp', (r) => timestamp(r, 6, false)],
  ['c_ts3', 'timestamp(3)', (r) => timestamp(r, 3, false)],
  ['c_tstz', 'timestamptz', (r) => timestamp(r, 6, true)],
  ['c_interval', 'interval', interval],
  ['c_uuid', 'uuid', (r) => testBytes(r, 16).toString('hex')],
  ['c_json', 'json', json],
  ['c_jsonb', 'jsonb', json],
  ['c_inet', 'inet', (r) => `${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}/${r.int(8, 32)}`],
  ['c_macaddr', 'macaddr', (r) => testBytes(r, 6).toString('hex').replace(/(..)(?!$)/g, '$1:')],
  ['c_bits', 'bit(10)', (r) => bits(r, 10)],
  ['c_varbit', 'varbit', (r) => bits(r, r.int(0, 40))],
  ['c_point', 'point', (r) => `(${float(testDouble(r))},${float(testDouble(r))})`],
  ['c_arr', 'integer[]', (r) => array(some(r, 6, () => (r.chance(0.1) ? null : int(r, -2147483648n, 2147483647n))))],
  ['c_textarr', 'text[]', (r) => array(some(r, 5, () => (r.chance(0.1) ? null : r.chance(0.1) ? 'NULL' : str(r, 8))))],
  ['c_f8arr', 'double precision[]', (r) => array(some(r, 5, () => (r.chance(0.1) ? null : f8(r))))],
  ['c_numarr', 'numeric(12,4)[]', (r) => array(some(r, 5, () => (r.chance(0.1) ? null : testDecimal(r, 12, 4))))],
  ['c_tsarr', 'timestamptz[]', (r) => array(some(r, 3, () => timestamp(r, 6, true)))],
];

const DDL = (name: string) => `CREATE TABLE ${name} (id int PRIMARY KEY, ${COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')})`;

before(async () => {
  s = await createSchema('ferry_it_eq');
  for (const name of ['snap', 'strm']) {
    await s.owner.query(DDL(name));
    await s.owner.query(`ALTER TABLE ${name} REPLICA IDENTITY FULL`);
  }
});

after(async () => { await s.drop(); });

/** Inserts ROWS random rows into `snap`: the values as text parameters with their types; 5% NULL. Returns them by id. */
async function insertRandomRows(r: Random): Promise<Map<number, Array<string | null>>> {
  const byId = new Map<number, Array<string | null>>();
  const width = COLUMNS.length + 1;
  for (let from = 1; from <= ROWS; from += 100) {
    const params: Array<string | null> = [];
    const tuples: string[] = [];
    for (let id = from; id < Math.min(from + 100, ROWS + 1); id++) {
      const base = params.length;
      params.push(String(id));
      for (const [, , gen] of COLUMNS) params.push(r.chance(0.05) ? null : gen(r));
      tuples.push(`(${Array.from({ length: width }, (_, i) => `$${base + i + 1}::${i === 0 ? 'int' : COLUMNS[i - 1]![1]}`).join(', ')})`);
    }
    await s.owner.query(`INSERT INTO snap VALUES ${tuples.join(', ')}`, params);
    for (let k = 0; k < params.length; k += width) byId.set(Number(params[k]), params.slice(k + 1, k + width));
  }
  return byId;
}

/** The exact number a float column must carry for the text it was given ('NaN', '-0', '1.5e-320', ...). */
const textToDouble = (t: string) => Number(t);

const show = (v: unknown): string => (Object.is(v, -0) ? '-0' : Buffer.isBuffer(v) ? `<${v.toString('hex')}>` : typeof v === 'bigint' ? `${v}n`
  : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : typeof v === 'number' ? String(v) : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v));

function differences(reads: ChangeEvent[], creates: ChangeEvent[]): Map<string, string[]> {
  const streamed = new Map<unknown, Row>(creates.map((e) => [e.after!.id, e.after!]));
  const out = new Map<string, string[]>();
  const add = (col: string, d: string) => out.set(col, [...(out.get(col) ?? []), d]);
  for (const e of reads) {
    const c = streamed.get(e.after!.id);
    if (!c) { add('id', `row ${String(e.after!.id)}: no streamed image`); continue; }
    for (const [col, v] of Object.entries(e.after!)) {
      if (!isDeepStrictEqual(v, c[col])) add(col, `row ${String(e.after!.id)} ${col}: snapshot ${show(v)} ≠ stream ${show(c[col])}`);
    }
  }
  return out;
}

test('snapshot (COPY text) and pgoutput images of the same stored row carry the same value, for every type', async (t) => {
  const r = seededRandom();
  t.diagnostic(`seed ${r.seed} (replay with FERRY_TEST_SEED=${r.seed})`);
  const inserted = await insertRandomRows(r);
  let copied = false;
  const { batches } = await collect(sourceOptions(s.schema, { settings: { snapshot: { chunkSize: 97, parallelism: 2 }, batch: { maxEvents: 500 } } }), null,
    (b) => dataEvents(b, 'strm').filter((e) => e.op === 'c').length >= ROWS, {
      timeoutMs: 45000,
      onBatch: async (b) => {
        if (b.snapshotDone && !copied) {
          copied = true;
          await s.owner.query('INSERT INTO strm SELECT * FROM snap');
        }
      },
    });
  const reads = dataEvents(batches, 'snap').filter((e) => e.op === 'r');
  const creates = dataEvents(batches, 'strm').filter((e) => e.op === 'c');
  assert.equal(reads.length, ROWS);
  assert.equal(creates.length, ROWS);
  const diffs = differences(reads, creates);
  const count = [...diffs.values()].reduce((n, d) => n + d.length, 0);
  assert.deepEqual([...diffs.values()].flatMap((d) => d.slice(0, 3)), [], `seed ${r.seed}: ${count} differing values in ${[...diffs.keys()].join(', ')}`);
  // and both carry the stored value exactly: floats (NaN, ±Infinity, -0, subnormals, 17 digits) and 64-bit integers
  const col = (name: string) => COLUMNS.findIndex(([c]) => c === name);
  for (const e of reads) {
    const given = inserted.get(e.after!.id as number)!;
    const f8 = given[col('c_f8')]!;
    const f4 = given[col('c_f4')]!;
    const i8 = given[col('c_int8')]!;
    if (f8 !== null) assert.ok(Object.is(e.after!.c_f8, textToDouble(f8)), `row ${String(e.after!.id)} c_f8 ${f8}: ${show(e.after!.c_f8)}`);
    if (f4 !== null) assert.ok(Object.is(e.after!.c_f4, Math.fround(textToDouble(f4))), `row ${String(e.after!.id)} c_f4 ${f4}: ${show(e.after!.c_f4)}`);
    if (i8 !== null) assert.equal(BigInt(e.after!.c_int8 as number | bigint), BigInt(i8), `row ${String(e.after!.id)} c_int8`);
  }
});
