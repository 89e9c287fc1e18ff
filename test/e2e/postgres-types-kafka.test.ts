// Every PostgreSQL type Ferry maps, through `ferry run` to Kafka, read back with the independent reader (schemas
// fetched from the registry by id, decoded with avsc) and compared value by value with the exact values the source
// rows hold (the shared all-types fixture: SQL literals and their expected wire values).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { services, uniqueName } from '../helpers/services.ts';
import { readDecoded, type DecodedRecord } from '../helpers/topic-reader.ts';
import { dropPgTaskObjects, sleep, startFerry } from '../helpers/ferry-process.ts';
import { createAllTypes, EXPECTED, INSERT_COLUMNS, rowsWithIds } from '../../connectors/postgres-logical/test/fixtures/all-types.ts';

/** The reader decodes every Avro long as a bigint; the fixture holds numbers below 2^53. Compare values, not JS types. */
function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(norm);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
}

function checkRow(got: Record<string, unknown>, id: number, what: string): void {
  const want = EXPECTED[id]!;
  assert.deepEqual(Object.keys(got).sort(), ['id', ...Object.keys(want)].sort(), `${what}: exactly the mapped columns`);
  for (const [col, v] of Object.entries(want)) assert.deepStrictEqual(norm(got[col]), norm(v), `${what} ${col}`);
}

test('all PostgreSQL types reach Kafka exactly (snapshot, insert, update before/after, delete)', { timeout: 180000 }, async (t) => {
  const name = uniqueName('ferry_pg_types');
  const admin = new pg.Client({ ...services.postgres, user: 'postgres', password: 'postgres', database: 'shop' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name} AUTHORIZATION cdc`);
  await admin.query(`SET search_path = ${name}, public`);
  const owner = new pg.Client({ ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' });
  await owner.connect();
  await createAllTypes(admin, owner, name);

  const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-types-'));
  const file = join(dir, 'task.json');
  writeFileSync(file, JSON.stringify({
    name, source: { engine: 'postgres', ...services.postgres, user: 'cdc', password: 'cdc', database: 'shop' }, migrationType: 'full-load-and-cdc',
    tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'all', 'rule-action': 'include', 'object-locator': { 'schema-name': name, 'table-name': 'all_types' } }] },
    kafka: { brokers: services.brokers, schemaRegistry: services.registryUrl, topicPrefix: name },
    settings: { metrics: { enabled: false }, stateDir: join(dir, 'state') },
  }));
  const ferry = startFerry(['run', file, '--json']);
  t.after(async () => {
    ferry.child.kill('SIGKILL');
    await owner.end();
    await dropPgTaskObjects(admin, name);
    await admin.query(`DROP SCHEMA ${name} CASCADE`);
    await admin.end();
  });

  const topic = `${name}.${name}.all_types`;
  let lastError: unknown = null;
  const waitFor = async (n: number): Promise<DecodedRecord[]> => {
    for (let i = 0; i < 120; i++) {
      const recs = await readDecoded(topic).catch((e: unknown) => { lastError = e; return []; });
      if (recs.length >= n) return recs;
      if (ferry.child.exitCode !== null) throw new Error(`ferry exited: ${ferry.stderr()}`);
      await sleep(500);
    }
    const got = await readDecoded(topic).catch(() => []);
    throw new Error(`timed out (last read error: ${(lastError as Error | null)?.stack?.slice(0, 1500)}) topic ${topic} with ${got.length} records (${got.map((r) => r.value?.op ?? "tombstone").join(",")}); log: ${ferry.stderr().slice(-2000)}`);
  };
  await waitFor(3);
  await owner.query(`INSERT INTO all_types (${INSERT_COLUMNS}) VALUES ${rowsWithIds(10).join(', ')}`);
  // An update that changes only the key-less columns of row 11 back to row 12's values, then a delete of row 13.
  await owner.query(`UPDATE all_types SET (${INSERT_COLUMNS.replace(/^id, /, '')}) = (SELECT ${INSERT_COLUMNS.replace(/^id, /, '')} FROM all_types WHERE id = 12) WHERE id = 11`);
  await owner.query('DELETE FROM all_types WHERE id = 13');
  const records = await waitFor(3 + 3 + 1 + 1 + 1);
  ferry.child.kill('SIGTERM');
  assert.equal(await ferry.exited, 0, ferry.stderr());

  const byOp = (op: string) => records.filter((r) => r.value?.op === op);
  const id = (r: Record<string, unknown>) => Number(r.id);
  assert.deepEqual(byOp('r').map((r) => id(r.value!.after!)).sort(), [1, 2, 3]);
  for (const r of byOp('r')) checkRow(r.value!.after!, id(r.value!.after!), `snapshot row ${id(r.value!.after!)}`);
  assert.deepEqual(byOp('c').map((r) => id(r.value!.after!)).sort(), [11, 12, 13]);
  for (const r of byOp('c')) checkRow(r.value!.after!, id(r.value!.after!) - 10, `inserted row ${id(r.value!.after!)}`);
  const [u] = byOp('u');
  assert.equal(byOp('u').length, 1);
  checkRow(u!.value!.before!, 1, 'update before image (REPLICA IDENTITY FULL)');
  checkRow(u!.value!.after!, 2, 'update after image');
  assert.deepEqual(norm(u!.key), { id: 11 });
  const [d] = byOp('d');
  checkRow(d!.value!.before!, 3, 'delete before image');
  assert.equal(d!.value!.after, null);
  assert.equal(records.filter((r) => r.value === null).length, 1, 'one tombstone after the delete');
  // The registered schema is Debezium's: look at three fields through the registry, not through Ferry's code.
  const res = await fetch(`${services.registryUrl}/schemas/ids/${records[0]!.valueSchemaId}`);
  const schema = JSON.parse(((await res.json()) as { schema: string }).schema) as { fields: { name: string; type: unknown }[] };
  const value = (schema.fields.find((f) => f.name === 'before')!.type as unknown[]).find((x) => x !== 'null') as { name: string; fields: { name: string; type: unknown }[] };
  assert.equal(`${(value as { namespace?: string }).namespace ?? (schema as { namespace?: string }).namespace}.${value.name}`, `${name}.${name}.all_types.Value`);
  const field = (n: string) => value.fields.find((f) => f.name === n)!.type;
  assert.deepEqual(field('c_arr2d'), ['null', { type: 'array', items: ['null', { type: 'array', items: ['null', 'string'] }] }]);
  assert.deepEqual(field('c_num'), ['null', { type: 'bytes', scale: 9, precision: 38, 'connect.version': 1, 'connect.parameters': { scale: '9', 'connect.decimal.precision': '38' }, 'connect.name': 'org.apache.kafka.connect.data.Decimal', logicalType: 'decimal' }]);
  assert.equal(value.fields.some((f) => f.name === 'c_circle' || f.name === 'c_gen'), false);
});
