// The PostgreSQL source's value modes against a real server, through both paths (snapshot COPY text and pgoutput):
// decimalHandlingMode string carries NaN/±Infinity and every digit, intervalHandlingMode string gives ISO 8601 text
// that PostgreSQL itself parses back to the same interval (the server is the independent reader), the exact
// MicroDuration arithmetic, bitVaryingHandlingMode string the bit string as stored; and under the default precise
// mode a NaN stops the source with an error naming the table, column, value and the fix.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Row } from '../../../../core/src/types.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { collect, createSchema, dataEvents, serverVersionNum, sourceOptions, type TestSchema } from './helpers.ts';

let s: TestSchema;

/** numeric 'Infinity' exists from PostgreSQL 14 on: on 13 those rows carry other values (NaN stays). */
const numericInfinity = (await serverVersionNum()) >= 140000;

const INTERVALS = [
  '0', '1 microsecond', '1.000036 seconds', '-1.000001 seconds', '1 year 2 mons 3 days 04:05:06.78', '-1 years -2 mons +3 days -04:05:06.78',
  '7 mons', '399 days 23:59:59.999999', '-100 hours', '178000000 years', '1 mon -1 days +00:00:00.000001',
];
const ROWS: Array<[string, string, string, string | null]> = [
  // n (numeric), np (numeric(10,2)), m (money), vb (bit varying(16))
  ['NaN', 'NaN', '-1234.56', '01'],
  ['Infinity', '0.05', '0', ''],
  ['-Infinity', '-99999999.99', '92233720368547758.07', '1000000000000001'],
  ['-12345678901234567890123456789.123456789012345678901', '1.50', '-0.01', null],
];

before(async () => {
  s = await createSchema('ferry_it_modes');
  await s.owner.query('CREATE TABLE modes (id int PRIMARY KEY, n numeric, np numeric(10,2), m money, vb bit varying(16), i interval)');
  await s.owner.query('ALTER TABLE modes REPLICA IDENTITY FULL');
  await insert(0);
});

after(async () => { await s.drop(); });

/** The rows, with ids from `base`, and one interval per row (INTERVALS cycled). */
async function insert(base: number): Promise<void> {
  for (let k = 0; k < INTERVALS.length; k++) {
    const [n0, np, m, vb] = ROWS[k % ROWS.length]!;
    const n = numericInfinity || !n0.endsWith('Infinity') ? n0 : `${n0.startsWith('-') ? '-' : ''}1e-30`;
    await s.owner.query('INSERT INTO modes VALUES ($1, $2, $3, $4::money, $5, $6)', [base + k, n, np, m, vb, INTERVALS[k]]);
  }
}

/** What PostgreSQL says of the row `id`: the texts, and whether our ISO text parses back to the same interval. */
async function assertAsPostgres(row: Row): Promise<void> {
  const id = row.id as number;
  const r = (await s.admin.query('SELECT n::text, np::text, vb::text, i::text AS i, (($2::text)::interval)::text AS back FROM modes WHERE id = $1', [id, row.i])).rows[0] as Record<string, string | null>;
  assert.equal(row.n, r.n, `n of ${id}`);
  assert.equal(row.np, r.np, `np of ${id}`);
  assert.equal(row.vb, r.vb, `vb of ${id}`);
  assert.equal(r.back, r.i, `the ISO text ${String(row.i)} is the interval ${r.i}`);
}

test('decimal, interval and bit varying as strings: exact, snapshot and streaming alike; money as plain decimal', async () => {
  const opts = sourceOptions(s.schema);
  const config = { ...opts.config, decimalHandlingMode: 'string', intervalHandlingMode: 'string', bitVaryingHandlingMode: 'string' } as typeof opts.config;
  let inserted = false;
  const { batches } = await collect({ ...opts, config }, null, (b) => dataEvents(b, 'modes').filter((e) => e.op === 'c').length >= INTERVALS.length, {
    onBatch: async (b) => {
      if (b.snapshotDone && !inserted) { inserted = true; await insert(100); }
    },
  });
  const evs = dataEvents(batches, 'modes');
  const snap = evs.filter((e) => e.op === 'r');
  const stream = evs.filter((e) => e.op === 'c');
  assert.equal(snap.length, INTERVALS.length);
  assert.equal(stream.length, INTERVALS.length);
  for (const e of [...snap, ...stream]) await assertAsPostgres(e.after!);
  const money = new Map([...snap, ...stream].map((e) => [(e.after!.id as number) % 100, e.after!.m]));
  assert.deepEqual([money.get(0), money.get(1), money.get(2), money.get(3)], ['-1234.56', '0.00', '92233720368547758.07', '-0.01']);
  const types = Object.fromEntries(evs[0]!.table.columns.map((c) => [c.name, c.type]));
  assert.deepEqual(types.n, { type: 'string' });
  assert.deepEqual(types.i, { type: 'string', logical: 'io.debezium.time.Interval', version: 1 });
  assert.deepEqual(types.vb, { type: 'string', logical: 'io.ferry.data.BitString', version: 1, params: { length: '16' } });
  // the same rows, snapshot and stream, give the same values
  const strip = (r: Row) => JSON.stringify({ ...r, id: (r.id as number) % 100 });
  assert.deepEqual(snap.map((e) => strip(e.after!)).sort(), stream.map((e) => strip(e.after!)).sort());
});

test('interval numeric (the default): Debezium\'s MicroDuration computed exactly, as PostgreSQL computes the same formula', async () => {
  const opts = sourceOptions(s.schema);
  const config = { ...opts.config, decimalHandlingMode: 'string' } as typeof opts.config;
  const { batches } = await collect({ ...opts, config, migrationType: 'full-load' }, null, (b) => b.some((x) => x.snapshotDone));
  const snap = dataEvents(batches, 'modes').filter((e) => e.op === 'r');
  assert.ok(snap.length >= INTERVALS.length);
  for (const e of snap) {
    const id = e.after!.id as number;
    const r = (await s.admin.query(`SELECT ((EXTRACT(YEAR FROM i) * 12 + EXTRACT(MONTH FROM i)) * 2629800000000
      + EXTRACT(EPOCH FROM i - make_interval(years => EXTRACT(YEAR FROM i)::int, months => EXTRACT(MONTH FROM i)::int)) * 1000000)::numeric(40,0) AS micros FROM modes WHERE id = $1`, [id])).rows[0] as { micros: string };
    const want = BigInt(r.micros);
    const sat = want > 2n ** 63n - 1n ? 2n ** 63n - 1n : want;
    assert.equal(BigInt(e.after!.i as number | bigint), sat, `interval of row ${id}`);
  }
});

test('decimalHandlingMode precise (the default): a NaN stops the source, naming table, column, value and the fix', async () => {
  await assert.rejects(collect({ ...sourceOptions(s.schema), migrationType: 'full-load' }, null, (b) => b.some((x) => x.snapshotDone)), (e: unknown) => {
    assert.ok(e instanceof FerryError, String(e));
    assert.equal(e.code, 'FERRY_UNSUPPORTED');
    assert.match(e.message, new RegExp(`${s.schema}\\.modes\\.n(p)?: the numeric value (NaN|Infinity|-Infinity) .*decimalHandlingMode: string`));
    return true;
  });
});
