// Unchanged TOAST values under REPLICA IDENTITY DEFAULT (issue #25), end to end:
//   PostgreSQL (table left at REPLICA IDENTITY DEFAULT) → `ferry run` (Kafka mode) → Kafka → sink workers
//     → Parquet lake on S3 (moto, read back with DuckDB) and DynamoDB (moto, read back with Scan), one task's targets
//     → Redshift (the TEST-ONLY PostgreSQL stand-in), a sink worker of its own
// Large incompressible text and jsonb values are stored out of line (checked in the TOAST table). Updates that leave
// them untouched (one statement over 250 rows), updates that change them, a NULL set, key changes, an update then a
// delete, a key change and a delete of the new key in one transaction, and new rows run during CDC. Every target
// must then hold exactly the source's rows (id, title, n, body, meta compared by hash of the full value, meta as
// canonical JSON), no value anywhere may be Debezium's unavailable-value placeholder, and every update event whose
// out-of-line values were read by key must say so in the Kafka header ferry.unchanged-toast, naming exactly those
// columns (and only those events may carry it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { parseTask } from '../../app/src/task-file/load-task.ts';
import { runTask } from '../../app/src/task/TaskRunner.ts';
import { runTaskSinkWorkers } from '../../app/src/task/targets.ts';
import { runSinkWorker } from '../../runtime/src/sink-worker/SinkWorker.ts';
import { PromMetrics } from '../../runtime/src/metrics/metrics.ts';
import { openObjectStore } from '../../runtime/src/storage/object-store.ts';
import { RedshiftSink } from '../../sinks/redshift/src/RedshiftSink.ts';
import { download, query } from '../../sinks/s3-lake/test/helpers/read-lake.ts';
import { dropSchema, standIn, withPg } from '../../sinks/redshift/test/helpers.ts';
import { DDB, liveItems, scanAll } from '../../sinks/dynamodb/test/helpers/dynamo.ts';
import { createBucket, quietLog, registry, S3, services, uniqueName } from '../helpers/sink-kit/services.ts';
import { latestState, readDecoded, type DecodedRecord } from '../helpers/topic-reader.ts';
import { dropPgTaskObjects, sleep } from '../helpers/ferry-process.ts';

const HEADER = 'ferry.unchanged-toast';
const PLACEHOLDER = '__debezium_unavailable_value';
const TOAST = ['body', 'meta'] as const;
type ToastCol = (typeof TOAST)[number];

interface Row { title: string; n: number; body: string | null; meta: Record<string, unknown> | null }

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
/** JSON with every object's keys sorted (jsonb orders keys its own way; the sinks keep the text they were given). */
function canonJson(v: unknown): string {
  const sort = (x: unknown): unknown => (Array.isArray(x) ? x.map(sort)
    : x !== null && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])])) : x);
  return JSON.stringify(sort(v));
}
const bodyHash = (b: string | null) => (b === null ? '∅' : `${md5(b)}/${b.length}`);
const metaHash = (m: string | null) => (m === null ? '∅' : md5(canonJson(JSON.parse(m))));
/** One canonical line per row: id|title|n|md5(body)/length|md5(canonical meta). */
const line = (id: unknown, title: unknown, n: unknown, body: unknown, meta: unknown) =>
  [String(id), String(title), String(n), bodyHash((body ?? null) as string | null), metaHash((meta ?? null) as string | null)].join('|');
const byId = (a: string, b: string) => Number(a.split('|')[0]) - Number(b.split('|')[0]);

/** Incompressible text far over the ~2 KB TOAST threshold: PostgreSQL stores it out of line. */
const bigText = () => randomBytes(4800).toString('base64'); // 6400 characters
const bigMeta = (id: number, v: string): Record<string, unknown> => ({ id, tag: `m${id}-${v}`, blob: randomBytes(3600).toString('base64'), nested: { z: 1, a: [1, 'ü', { k: v }] } });

/**
 * The source's expected behaviour, kept alongside the statements: the rows, every version each row's out-of-line
 * values had, and per update statement (k) and row the header its event must carry.
 */
class Model {
  readonly rows = new Map<number, Row>();
  /** id → canonical hashes of every version its body/meta had (a key change carries them over). */
  readonly versions = new Map<number, Record<ToastCol, Set<string>>>();
  /** `${k}:${id}` → the columns the update's event must name in the header ([]: no header). */
  readonly expectHeader = new Map<string, ToastCol[]>();
  /** Rows deleted or re-keyed later: an earlier update of theirs may be dropped (its lookup found no row). */
  readonly gone = new Set<number>();

  set(id: number, r: Row): void {
    this.rows.set(id, r);
    const v = this.versions.get(id) ?? { body: new Set<string>(), meta: new Set<string>() };
    v.body.add(bodyHash(r.body));
    v.meta.add(metaHash(r.meta === null ? null : JSON.stringify(r.meta)));
    this.versions.set(id, v);
  }

  /** Records the header update k of `id` must carry: the non-null out-of-line columns it does not change. */
  expect(k: number, id: number, changes: readonly ToastCol[], newId = id): void {
    const r = this.rows.get(id)!;
    this.expectHeader.set(`${k}:${newId}`, TOAST.filter((c) => !changes.includes(c) && r[c] !== null));
  }

  rekey(from: number, to: number): void {
    const r = this.rows.get(from)!;
    const v = this.versions.get(from)!;
    this.rows.delete(from);
    this.gone.add(from);
    this.versions.set(to, { body: new Set(v.body), meta: new Set(v.meta) });
    this.set(to, r);
  }

  delete(id: number): void {
    this.rows.delete(id);
    this.gone.add(id);
  }

  lines(): string[] {
    return [...this.rows].map(([id, r]) => line(id, r.title, r.n, r.body, r.meta === null ? null : JSON.stringify(r.meta))).sort(byId);
  }
}

async function runWorkload(c: pg.Client, m: Model): Promise<void> {
  /** Statement k changes only title and n on `ids` (one statement): body and meta stay out of line, unsent. */
  const titleOnly = async (k: number, ids: number[]) => {
    for (const id of ids) m.expect(k, id, []);
    await c.query(`UPDATE docs SET title = 's' || $1::int || '-' || id, n = $1 WHERE id = ANY($2::int[])`, [k, ids]);
    for (const id of ids) m.set(id, { ...m.rows.get(id)!, title: `s${k}-${id}`, n: k });
  };
  /** Statement k sets one row's body and/or meta (a value, or NULL) besides title and n. */
  const setToast = async (k: number, id: number, vals: Partial<Pick<Row, ToastCol>>, tx: pg.Client = c) => {
    const cols = Object.keys(vals) as ToastCol[];
    m.expect(k, id, cols);
    const sets = cols.map((col, i) => `${col} = $${i + 3}${col === 'meta' ? '::jsonb' : ''}`);
    await tx.query(`UPDATE docs SET title = 's' || $1::int || '-' || id, n = $1, ${sets.join(', ')} WHERE id = $2`,
      [k, id, ...cols.map((col) => (col === 'meta' && vals.meta != null ? JSON.stringify(vals.meta) : vals[col] ?? null))]);
    m.set(id, { ...m.rows.get(id)!, ...vals, title: `s${k}-${id}`, n: k });
  };
  /** Statement k moves rows to id + 100000 (and sets title and n): a delete of the old key and a create of the new. */
  const rekey = async (k: number, ids: number[]) => {
    for (const id of ids) m.expect(k, id, [], id + 100000);
    await c.query(`UPDATE docs SET id = id + 100000, title = 's' || $1::int || '-' || id, n = $1 WHERE id = ANY($2::int[])`, [k, ids]);
    for (const id of ids) {
      m.rekey(id, id + 100000);
      m.set(id + 100000, { ...m.rows.get(id + 100000)!, title: `s${k}-${id}`, n: k });
    }
  };
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

  await titleOnly(1, range(1, 250)); // 250 rows in one statement
  await titleOnly(2, range(1, 300).filter((id) => id % 7 === 0));
  for (const id of [3, 13, 23, 50, 105]) await setToast(3, id, { body: bigText() }); // 50: NULL → value
  for (const id of [4, 14, 60, 107]) await setToast(4, id, { meta: bigMeta(id, 'k4') }); // 60: NULL → value
  await setToast(5, 5, { body: bigText(), meta: bigMeta(5, 'k5') });
  for (const id of [8, 9]) await setToast(6, id, { body: null });
  await setToast(7, 10, { meta: null });
  await rekey(8, [11, 12, 100]); // 100 has a NULL body: its header names meta only
  // an update, then a delete of the same row: separately, and in one transaction
  await titleOnly(9, [21]);
  await c.query('DELETE FROM docs WHERE id = 21');
  m.delete(21);
  await c.query('BEGIN');
  await titleOnly(9, [22]);
  await c.query('DELETE FROM docs WHERE id = 22');
  await c.query('COMMIT');
  m.delete(22);
  // a key change, then a delete of the new key: in one transaction (the lookup cannot find the row), and separately
  await c.query('BEGIN');
  await rekey(10, [31]);
  await c.query('DELETE FROM docs WHERE id = 100031');
  await c.query('COMMIT');
  m.delete(100031);
  await rekey(10, [32]);
  await c.query('DELETE FROM docs WHERE id = 100032');
  m.delete(100032);
  // new rows, then title-only updates of them and of 200 others in one statement
  for (const id of range(1001, 1006)) {
    const r: Row = { title: `ins-${id}`, n: 0, body: id === 1003 ? null : bigText(), meta: id === 1005 ? null : bigMeta(id, 'ins') };
    await c.query('INSERT INTO docs (id, title, n, body, meta) VALUES ($1, $2, $3, $4, $5::jsonb)', [id, r.title, r.n, r.body, r.meta === null ? null : JSON.stringify(r.meta)]);
    m.set(id, r);
  }
  await titleOnly(11, [...range(1001, 1006), ...range(101, 300).filter((id) => m.rows.has(id))]);
  await titleOnly(12, [100011, 100012, 100100]); // re-keyed rows, again
  // an untouched-value update and a change of that value in one transaction: the lookup may read the later value
  await c.query('BEGIN');
  await titleOnly(13, [40]);
  await setToast(14, 40, { body: bigText() });
  await c.query('COMMIT');
}

/** The Kafka latest state of the table (the last record per key; deletes and tombstones remove it). */
const kafkaLines = (records: readonly DecodedRecord[]) =>
  [...latestState(records).values()].map((a) => line(a.id, a.title, a.n, a.body, a.meta)).sort(byId);

async function lakeFiles(bucket: string): Promise<string | null> {
  const { dir, keys } = await download(await openObjectStore(`s3://${bucket}/lake`, S3));
  return keys.some((k) => k.endsWith('.parquet')) ? `read_parquet('${dir}/**/*.parquet', union_by_name = true)` : null;
}

/** The lake's latest row per key (a key's changes are in one partition, ordered by offset). */
async function lakeLines(bucket: string): Promise<string[]> {
  const src = await lakeFiles(bucket);
  if (src === null) return [];
  const rows = await query(`WITH l AS (SELECT *, row_number() OVER (PARTITION BY id ORDER BY _kafka_offset DESC) AS rn FROM ${src})
    SELECT id, title, n, body, meta FROM l WHERE rn = 1 AND "Op" <> 'D' ORDER BY id`);
  return rows.map((r) => line(r.id, r.title, r.n, r.body, r.meta)).sort(byId);
}

const redshiftLines = (schema: string) => withPg(async (c) => {
  const r = await c.query(`SELECT id, title, n, body, meta FROM "${schema}".docs ORDER BY id`);
  return (r.rows as Record<string, unknown>[]).map((x) => line(x.id, x.title, x.n, x.body, x.meta)).sort(byId);
});

const ddbText = (v: AttributeValue | undefined) => (v === undefined || v.NULL ? null : v.S ?? v.N);
async function dynamoLines(table: string): Promise<string[]> {
  const items = liveItems(await scanAll(table));
  return items.map((i) => line(ddbText(i.id), ddbText(i.title), ddbText(i.n), ddbText(i.body), ddbText(i.meta))).sort(byId);
}

/** Up to three differing rows, for a readable failure. */
function diff(want: readonly string[], got: readonly string[]): string {
  const w = new Set(want);
  const g = new Set(got);
  return [...want.filter((x) => !g.has(x)).slice(0, 3).map((x) => `missing ${x}`), ...got.filter((x) => !w.has(x)).slice(0, 3).map((x) => `extra   ${x}`)].join('\n');
}

test('PostgreSQL REPLICA IDENTITY DEFAULT: unchanged TOAST text and jsonb stay intact in Kafka, the Parquet lake, Redshift and DynamoDB', { timeout: 240000 }, async () => {
  const name = uniqueName('ferry_toastdef');
  const bucket = name.replace(/_/g, '-');
  const rsSchema = `${name}_rs`;
  const ddbTable = `${name}_docs`;
  const topic = `${name}.${name}.docs`;
  await createBucket(bucket);
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  const c = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await c.connect();
  await c.query(`SET search_path = ${name}`);
  const stop = new AbortController();
  const metrics = new PromMetrics({ collectProcessMetrics: false });
  let running: Promise<unknown> = Promise.resolve();
  let workers: Promise<unknown> = Promise.resolve();
  let redshift: Promise<unknown> = Promise.resolve();
  const rsSink = new RedshiftSink({
    name: 'rs', executor: standIn(),
    config: {
      connection: { host: 'unused', database: 'unused', user: 'unused', password: 'unused' }, targetSchema: rsSchema, stateSchema: rsSchema,
      staging: { location: `s3://${bucket}/staging`, s3: S3 }, copyAuth: { iamRole: 'arn:aws:iam::123456789012:role/ferry-copy' },
    },
  });
  try {
    await c.query('CREATE TABLE docs (id int PRIMARY KEY, title varchar(40) NOT NULL, n int NOT NULL, body text, meta jsonb)');
    const ident = await admin.query<{ relreplident: string }>('SELECT relreplident FROM pg_class WHERE oid = $1::regclass', [`${name}.docs`]);
    assert.equal(ident.rows[0]?.relreplident, 'd', 'the table is REPLICA IDENTITY DEFAULT');

    const m = new Model();
    for (let id = 1; id <= 300; id++) {
      m.set(id, { title: `seed-${id}`, n: id, body: id % 50 === 0 ? null : bigText(), meta: id % 60 === 0 ? null : bigMeta(id, 'seed') }); // 300: both NULL
    }
    const seed = [...m.rows];
    for (let at = 0; at < seed.length; at += 50) {
      const chunk = seed.slice(at, at + 50);
      await c.query(`INSERT INTO docs (id, title, n, body, meta) VALUES ${chunk.map((_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5}::jsonb)`).join(', ')}`,
        chunk.flatMap(([id, r]) => [id, r.title, r.n, r.body, r.meta === null ? null : JSON.stringify(r.meta)]));
    }
    // Every non-null body and meta is stored out of line: one TOAST value (chunk_id) each.
    const toastRel = (await admin.query<{ t: string }>('SELECT reltoastrelid::regclass::text AS t FROM pg_class WHERE oid = $1::regclass', [`${name}.docs`])).rows[0]!.t;
    const toasted = await admin.query<{ n: string }>(`SELECT count(DISTINCT chunk_id) AS n FROM ${toastRel}`);
    const nonNull = seed.reduce((s, [, r]) => s + (r.body === null ? 0 : 1) + (r.meta === null ? 0 : 1), 0);
    assert.equal(Number(toasted.rows[0]!.n), nonNull, 'every non-null body and meta value is TOASTed (out of line)');

    const task = parseTask({
      name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
      tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': '%' } }] },
      kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name, partitions: 2 },
      targets: [
        { type: 'parquet', name: 'lake', location: `s3://${bucket}/lake`, s3: S3, partitioning: { by: 'none' }, maxFileAgeMs: 300 },
        { type: 'dynamodb', name: 'ddb', client: DDB, tableName: '{schema}_{table}', maxBatchDelayMs: 100 },
      ],
      settings: { metrics: { enabled: false }, stateDir: join(mkdtempSync(join(tmpdir(), 'ferry-toastdef-')), 'state'), offsetStore: 'sqlite', batch: { maxEvents: 500, maxDelayMs: 20 } },
    });
    running = runTask({ task, log: quietLog(), metrics, serveMetrics: false }, stop.signal);
    workers = runTaskSinkWorkers({ task, log: quietLog(), metrics }, stop.signal);
    redshift = runSinkWorker({
      brokers: services.brokers, registry: registry(), groupId: `${name}-rs`, topicPrefix: name, sink: rsSink, log: quietLog(), metrics,
      batch: { maxRecords: 1000, maxDelayMs: 300 },
    }, stop.signal);
    const failed = Promise.race([running, workers, redshift]).then(() => 'a task or worker stopped early', (e: unknown) => `a task or worker failed: ${String(e)}`);
    let early: string | null = null;
    void failed.then((why) => { early = why; });

    // The copy is in Kafka before the changes start, so every update below is a change event of its own.
    const snapDeadline = Date.now() + 60000;
    for (;;) {
      const recs = await readDecoded(topic).catch(() => [] as DecodedRecord[]);
      if (recs.filter((r) => r.value?.op === 'r').length >= 300) break;
      assert.equal(early, null);
      assert.ok(Date.now() < snapDeadline, `the copy of 300 rows reached Kafka (${recs.length} records)`);
      await sleep(500);
    }

    await runWorkload(c, m);
    const src = await c.query<{ id: number; title: string; n: number; body: string | null; meta: string | null }>('SELECT id, title, n, body, meta::text AS meta FROM docs ORDER BY id');
    const want = src.rows.map((r) => line(r.id, r.title, r.n, r.body, r.meta));
    assert.deepEqual(want, m.lines(), 'the source table is as the test expects');

    let records: DecodedRecord[] = [];
    const got = { kafka: [] as string[], lake: [] as string[], redshift: [] as string[], dynamodb: [] as string[] };
    const read = {
      kafka: async () => { records = await readDecoded(topic); return kafkaLines(records); },
      lake: () => lakeLines(bucket),
      redshift: () => redshiftLines(rsSchema),
      dynamodb: () => dynamoLines(ddbTable),
    };
    const same = (x: readonly string[]) => x.length === want.length && x.every((v, i) => v === want[i]);
    const deadline = Date.now() + 150000;
    for (;;) {
      for (const k of Object.keys(got) as (keyof typeof got)[]) {
        if (!same(got[k])) got[k] = await read[k]().catch(() => got[k]);
      }
      if (Object.values(got).every(same) || Date.now() > deadline || early !== null) break;
      await sleep(1000);
    }
    assert.equal(early, null);
    for (const [target, rows] of Object.entries(got)) {
      assert.ok(same(rows), `${target} equals the source table (${rows.length} rows for ${want.length}):\n${diff(want, rows)}`);
    }

    // No placeholder anywhere: every record in Kafka, every row in the lake's files, the Redshift table, every item.
    const json = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    assert.ok(!records.some((r) => json(r.value).includes(PLACEHOLDER)), 'no Kafka record holds the unavailable-value placeholder');
    const lake = (await lakeFiles(bucket))!;
    const [lakeHits] = await query(`SELECT count(*)::INT AS n FROM ${lake} WHERE contains(coalesce(body, ''), '${PLACEHOLDER}') OR contains(coalesce(meta, ''), '${PLACEHOLDER}')`);
    assert.equal(lakeHits!.n, 0, 'no lake row holds the placeholder');
    const rsHits = await withPg((p) => p.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${rsSchema}".docs WHERE strpos(coalesce(body, '') || coalesce(meta, ''), $1) > 0`, [PLACEHOLDER]));
    assert.equal(rsHits.rows[0]!.n, 0, 'no Redshift row holds the placeholder');
    assert.ok(!json(await scanAll(ddbTable)).includes(PLACEHOLDER), 'no DynamoDB item holds the placeholder');

    // The header: on exactly the update events whose out-of-line values were read by key, naming exactly those.
    const problems: string[] = [];
    const seen = new Map<string, number>();
    let withHeader = 0;
    for (const r of records) {
      const raw = r.raw.headers.get(HEADER);
      const header = raw === undefined ? null : (JSON.parse(raw.toString()) as string[]);
      if (header !== null) withHeader++;
      const after = r.value?.after ?? null;
      const stmt = after !== null && (r.value!.op === 'u' || r.value!.op === 'c') ? /^s(\d+)-/.exec(String(after.title)) : null;
      const where = `${r.raw.partition}/${r.raw.offset} op ${r.value?.op ?? 'tombstone'} ${json(r.key)}`;
      if (stmt === null) {
        if (header !== null) problems.push(`${where}: header ${raw!.toString()} on a record that is not an update`);
        continue;
      }
      const id = Number(after!.id);
      const k = `${stmt[1]}:${id}`;
      const want = m.expectHeader.get(k);
      if (want === undefined) { problems.push(`${where}: an update event the test did not make (${k})`); continue; }
      seen.set(k, (seen.get(k) ?? 0) + 1);
      if (json(header) !== json(want.length === 0 ? null : want)) problems.push(`${where} (statement ${k}): header ${json(header)}, expected ${json(want.length === 0 ? null : want)}`);
      // A value read by key is the row's current one: one of the versions the row had, never a stand-in.
      for (const col of header ?? []) {
        const v = col === 'body' ? bodyHash((after![col] ?? null) as string | null) : metaHash((after![col] ?? null) as string | null);
        if (!m.versions.get(id)?.[col as ToastCol].has(v)) problems.push(`${where} (statement ${k}): ${col} read by key is none of the row's versions`);
      }
    }
    for (const [k, want] of m.expectHeader) {
      const n = seen.get(k) ?? 0;
      const id = Number(k.split(':')[1]);
      // an update whose row was deleted or re-keyed later may have been dropped (the lookup found no row)
      if (n > 1 || (n === 0 && !m.gone.has(id))) problems.push(`statement ${k} (header ${json(want)}): ${n} events`);
    }
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} header problem(s)`);
    const expectedWithHeader = [...m.expectHeader].filter(([k, w]) => w.length > 0 && seen.has(k)).length;
    assert.equal(withHeader, expectedWithHeader, 'records with the header');
    assert.ok(withHeader >= 450, `most updates left out-of-line values unchanged (${withHeader})`);
  } finally {
    stop.abort();
    await Promise.allSettled([running, workers, redshift]);
    await rsSink.close().catch(() => undefined);
    await dropSchema(rsSchema).catch(() => undefined);
    await c.end().catch(() => undefined);
    await dropPgTaskObjects(admin, name).catch(() => undefined);
    await admin.query(`DROP SCHEMA ${name} CASCADE`).catch(() => undefined);
    await admin.end();
  }
});
