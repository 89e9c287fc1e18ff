/**
 * RestCatalog against a real Iceberg REST catalog: Apache Iceberg's own REST adapter and JdbcCatalog, run by
 * infra/iceberg-rest.sh on 127.0.0.1. The metadata files the Java catalog writes are read back from the warehouse
 * folder (an independent reader of what was committed). A small loopback proxy in front of the catalog injects the
 * failures a client must survive (a commit whose answer is lost after the catalog applied it, a 502 before it) and
 * checks AWS SigV4 signatures with its own node:crypto implementation of the algorithm.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import avro from 'avsc';
import { FerryError } from '../../../../core/src/errors.ts';
import { CommitConflictError, TableExistsError, type LoadedTable, type TableIdentifier } from '../../src/catalog/catalog.ts';
import { RestCatalog } from '../../src/catalog/rest-catalog.ts';
import type { IcebergSchema, Snapshot, TableUpdate } from '../../src/metadata/table-metadata.ts';
import { freePort, uniqueName } from '../../../../test/helpers/services.ts';
import { restServer, restServerUp } from '../helpers/rest-server.ts';
import { readWithPyIcebergRest } from '../helpers/rest-pyiceberg.ts';
import { icebergSink } from '../../src/descriptor.ts';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { COLUMNS_V2, duckCanonicalSql, expectedRows, fixture, normalizeRead, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { FakeRegistry } from '../../../../test/helpers/sink-kit/fake-registry.ts';
import { quietLog } from '../../../../test/helpers/sink-kit/quiet.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';

const ns = [uniqueName('ferry_rest'), 'cdc'];
const schema: IcebergSchema = {
  type: 'struct', 'schema-id': 0, 'identifier-field-ids': [1],
  fields: [{ id: 1, name: 'id', required: true, type: 'long' }, { id: 2, name: 'name', required: false, type: 'string' }],
};
const bearer = () => new RestCatalog({ type: 'rest', uri: restServer.uri, auth: { type: 'bearer', token: restServer.token } });
const localPath = (uri: string) => uri.replace(/^file:(\/\/)?/, '');

/** An empty manifest list (Avro, the v2 manifest_file schema), so that the snapshot references a real file. */
async function writeEmptyManifestList(path: string, snapshotId: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const type = avro.Type.forSchema({
    type: 'record', name: 'manifest_file', fields: [
      { name: 'manifest_path', type: 'string', 'field-id': 500 }, { name: 'manifest_length', type: 'long', 'field-id': 501 },
      { name: 'partition_spec_id', type: 'int', 'field-id': 502 }, { name: 'content', type: 'int', 'field-id': 517 },
      { name: 'sequence_number', type: 'long', 'field-id': 515 }, { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
      { name: 'added_snapshot_id', type: 'long', 'field-id': 503 }, { name: 'added_files_count', type: 'int', 'field-id': 504 },
      { name: 'existing_files_count', type: 'int', 'field-id': 505 }, { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
      { name: 'added_rows_count', type: 'long', 'field-id': 512 }, { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
      { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    ],
  } as never);
  await new Promise<void>((resolve, reject) => {
    const enc = avro.createFileEncoder(path, type, { writeHeader: 'always', metadata: { 'snapshot-id': Buffer.from(String(snapshotId)), 'format-version': Buffer.from('2') } } as never);
    enc.on('error', reject);
    (enc as unknown as { on(e: string, f: () => void): void }).on('finish', () => setTimeout(resolve, 50));
    enc.end();
  });
}

let nextId = 1_000 + Math.floor(Math.random() * 1e9);
/** The updates of an append commit with an empty manifest list, and its snapshot. */
async function appendUpdates(t: LoadedTable, position: string): Promise<{ updates: TableUpdate[]; snapshot: Snapshot }> {
  const id = nextId++;
  const list = `${t.metadata.location}/metadata/snap-${id}-1-${randomUUID()}.avro`;
  await writeEmptyManifestList(localPath(list), id);
  const snapshot: Snapshot = {
    'snapshot-id': id, 'sequence-number': t.metadata['last-sequence-number'] + 1, 'timestamp-ms': Date.now(), 'manifest-list': list,
    summary: { operation: 'append', 'ferry.source-position': position, 'added-data-files': '0', 'added-records': '0' }, 'schema-id': 0,
    ...(t.metadata['current-snapshot-id'] != null && t.metadata['current-snapshot-id'] >= 0 ? { 'parent-snapshot-id': t.metadata['current-snapshot-id'] } : {}),
  };
  return { snapshot, updates: [{ action: 'add-snapshot', snapshot }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id }] };
}

function commit(cat: RestCatalog, t: LoadedTable, updates: TableUpdate[]) {
  const current = t.metadata['current-snapshot-id'];
  return cat.commitTable({
    identifier: t.identifier, base: t, updates, metadata: t.metadata,
    requirements: [{ type: 'assert-table-uuid', uuid: t.metadata['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': current != null && current >= 0 ? current : null }],
  });
}

// --- the proxy -------------------------------------------------------------------------------------------------
type Fault = 'drop-after-apply' | '502-before';
const proxy = { server: undefined as Server | undefined, uri: '', faults: [] as Fault[], forwardedCommits: 0, sigv4: [] as string[], bigIds: false };
const SIG_KEYS = { accessKeyId: 'AKIDFERRYTEST', secretAccessKey: 'ferry/secret+key' };

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Recomputes the SigV4 signature of a request (AWS's documented algorithm; headers as signed) and compares. */
function checkSigV4(req: IncomingMessage, payload: Buffer): string {
  const auth = req.headers.authorization ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return `bad Authorization header: ${auth}`;
  const [, akid, day, region, service, signed, signature] = m as unknown as string[];
  const hash = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
  if (req.headers['x-amz-content-sha256'] !== hash(payload)) return 'x-amz-content-sha256 is not the hash of the body';
  const url = new URL(req.url ?? '/', 'http://x');
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalPath = url.pathname.split('/').map((seg) => enc(seg)).join('/'); // the path as sent, encoded once more (non-S3 services)
  const query = [...url.searchParams].map(([k, v]) => [enc(k), enc(v)]).sort().map(([k, v]) => `${k}=${v}`).join('&');
  const names = signed!.split(';');
  const headers = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, canonicalPath, query, headers, signed, hash(payload)].join('\n');
  const amzDate = String(req.headers['x-amz-date']);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hash(canonical)].join('\n');
  const hmac = (k: string | Buffer, s: string) => createHmac('sha256', k).update(s).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${SIG_KEYS.secretAccessKey}`, day!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  if (akid !== SIG_KEYS.accessKeyId || region !== 'eu-west-1' || service !== 'glue') return `unexpected credential scope ${akid}/${scope}`;
  return expected === signature ? 'ok' : `signature mismatch for canonical request:\n${canonical}`;
}

before(async () => {
  await restServerUp();
  const port = await freePort();
  proxy.uri = `http://127.0.0.1:${port}`;
  proxy.server = createServer((req, res) => {
    void (async () => {
      const payload = await body(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
      if (headers.authorization?.startsWith('AWS4-HMAC-SHA256')) {
        proxy.sigv4.push(`${req.method} ${req.url}: ${checkSigV4(req, payload)}`);
        headers.authorization = `Bearer ${restServer.token}`;
      }
      const isCommit = req.method === 'POST' && /\/namespaces\/[^/]+\/tables\/[^/]+$/.test(req.url ?? '');
      const fault = isCommit ? proxy.faults.shift() : undefined;
      if (fault === '502-before') { res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'); return; }
      if (isCommit) proxy.forwardedCommits++;
      const up = await fetch(`${restServer.uri}${req.url}`, { method: req.method, headers, ...(payload.length ? { body: payload } : {}) });
      let text = await up.text();
      if (fault === 'drop-after-apply') { req.socket.destroy(); return; }
      if (req.method === 'GET' && req.url?.startsWith('/v1/config')) {
        const j = JSON.parse(text) as Record<string, unknown>;
        text = JSON.stringify({ ...j, defaults: { 's3.region': 'us-east-1', 's3.endpoint': 'http://default' }, overrides: { 's3.endpoint': 'http://127.0.0.1:5000' } });
      } else if (req.method === 'GET' && up.status === 200 && /\/tables\/[^/]+$/.test(req.url ?? '')) {
        const j = JSON.parse(text) as { metadata: { location: string } } & Record<string, unknown>;
        text = JSON.stringify({ ...j, config: { 's3.access-key-id': 'table-key', 'client.region': 'eu-west-1' },
          'storage-credentials': [{ prefix: 's3://other/', config: { 's3.access-key-id': 'wrong' } }, { prefix: j.metadata.location, config: { 's3.access-key-id': 'vended-key' } }] });
        // a 63-bit snapshot id, as Spark or PyIceberg choose them (written as text: a JS number cannot hold it)
        if (proxy.bigIds) text = text.replace(/"current-snapshot-id":(-?\d+)/, '"current-snapshot-id":7212387295012476503');
      }
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' }).end(text);
    })().catch((e: unknown) => { res.writeHead(599).end(String(e)); });
  });
  await new Promise<void>((r) => proxy.server!.listen(port, '127.0.0.1', r));
});

after(async () => {
  const cat = bearer();
  for (const t of await cat.listTables(ns).catch(() => [] as TableIdentifier[])) await cat.dropTable(t, { purge: true });
  await new Promise((r) => proxy.server?.close(r));
});

test('create a namespace and a table, commit an append, load it back; a stale commit is a CommitConflictError', async () => {
  const cat = bearer();
  const id = { namespace: ns, name: 'orders' };
  assert.equal(await cat.loadTable(id), undefined, 'no table yet');
  const created = await cat.createTable({ identifier: id, schema, partitionSpec: { 'spec-id': 0, fields: [] }, properties: { 'ferry.task': 'rest-test' } });
  assert.equal(await cat.namespaceExists(ns), true);
  assert.equal(await cat.namespaceExists([ns[0]!]), true, 'the parent level was created too');
  await assert.rejects(cat.createTable({ identifier: id, schema, partitionSpec: { 'spec-id': 0, fields: [] } }), TableExistsError);
  assert.deepEqual(created.metadata.schemas[0]!.fields.map((f) => [f.id, f.name, f.type, f.required]), [[1, 'id', 'long', true], [2, 'name', 'string', false]]);
  assert.equal(created.metadata.properties?.['ferry.task'], 'rest-test');
  assert.deepEqual(await cat.listTables(ns), [id]);

  const { updates, snapshot } = await appendUpdates(created, 'mariadb:bin.000001:4711');
  const committed = await commit(cat, created, [...updates, { action: 'set-properties', updates: { 'ferry.committed': 'yes' } }]);
  assert.equal(committed.metadata['current-snapshot-id'], snapshot['snapshot-id']);
  assert.notEqual(committed.metadataLocation, created.metadataLocation);

  // the Java catalog's own metadata file, read from the warehouse folder
  const onDisk = JSON.parse(await readFile(localPath(committed.metadataLocation), 'utf8')) as Record<string, unknown> & { snapshots: Snapshot[]; properties: Record<string, string> };
  assert.equal(onDisk['current-snapshot-id'], snapshot['snapshot-id']);
  assert.equal(onDisk['last-sequence-number'], 1);
  assert.deepEqual(onDisk.snapshots.map((s) => [s['snapshot-id'], s['sequence-number'], s['manifest-list'], s.summary['ferry.source-position'], s.summary.operation]),
    [[snapshot['snapshot-id'], 1, snapshot['manifest-list'], 'mariadb:bin.000001:4711', 'append']]);
  assert.equal(onDisk.properties['ferry.committed'], 'yes');

  const loaded = await cat.loadTable(id);
  assert.equal(loaded?.metadataLocation, committed.metadataLocation);
  assert.deepEqual(loaded?.metadata.snapshots, committed.metadata.snapshots);

  // a writer still holding `created` (before the append) loses the race
  const stale = await appendUpdates(created, 'mariadb:bin.000001:9999');
  await assert.rejects(commit(cat, created, stale.updates), (e: unknown) => e instanceof CommitConflictError && /orders.*changed since it was read/.test(e.message));
  const after = await cat.loadTable(id);
  assert.equal(after?.metadata.snapshots?.length, 1, 'the stale commit left nothing');

  assert.equal(await cat.dropTable(id, { purge: true }), true);
  assert.equal(await cat.loadTable(id), undefined);
  assert.equal(await cat.dropTable(id), false);
});

test('a commit whose answer is lost after the catalog applied it, and one refused with 502 before it, are each applied exactly once', async () => {
  const cat = new RestCatalog({ type: 'rest', uri: proxy.uri, auth: { type: 'bearer', token: restServer.token }, retryBaseMs: 10 });
  const id = { namespace: ns, name: 'unknown_outcomes' };
  let t = await cat.createTable({ identifier: id, schema, partitionSpec: { 'spec-id': 0, fields: [] } });
  // config pass-through: catalog defaults < overrides < table config < the longest-prefix vended credentials
  const loaded = await cat.loadTable(id);
  assert.deepEqual(loaded?.config, { 's3.region': 'us-east-1', 's3.endpoint': 'http://127.0.0.1:5000', 's3.access-key-id': 'vended-key', 'client.region': 'eu-west-1' });

  proxy.forwardedCommits = 0;
  proxy.faults.push('drop-after-apply');
  const a = await appendUpdates(t, 'pos-a');
  t = await commit(cat, t, a.updates);
  assert.equal(t.metadata['current-snapshot-id'], a.snapshot['snapshot-id'], 'resolved as applied by reloading');
  assert.equal(proxy.forwardedCommits, 1, 'not sent again');

  proxy.faults.push('502-before');
  const b = await appendUpdates(t, 'pos-b');
  await commit(cat, t, b.updates);
  assert.equal(proxy.forwardedCommits, 2, 'the 502 was not forwarded: sent again once');
  const final = await bearer().loadTable(id);
  assert.deepEqual(final?.metadata.snapshots?.map((s) => s.summary['ferry.source-position']), ['pos-a', 'pos-b']);
  assert.equal(final?.metadata['current-snapshot-id'], b.snapshot['snapshot-id']);
});

test('OAuth2 client credentials get a token; a wrong secret, a wrong token and no token are FERRY_ICEBERG_CATALOG_AUTH naming the endpoint and the fix', async () => {
  const ok = new RestCatalog({ type: 'rest', uri: restServer.uri, auth: { type: 'oauth2', clientId: restServer.clientId, clientSecret: restServer.clientSecret } });
  assert.ok((await ok.listTables(ns)).some((t) => t.name === 'unknown_outcomes'));

  const secret = 'not-the-secret-7f3a';
  const wrongSecret = new RestCatalog({ type: 'rest', uri: restServer.uri, auth: { type: 'oauth2', clientId: restServer.clientId, clientSecret: secret } });
  await assert.rejects(wrongSecret.listTables(ns), (e: unknown) => {
    assert.ok(e instanceof FerryError);
    assert.equal(e.code, 'FERRY_ICEBERG_CATALOG_AUTH');
    assert.equal(e.disposition, 'fatal');
    assert.match(e.message, new RegExp(`token endpoint POST ${restServer.uri}/v1/oauth/tokens refused .*401 invalid_client.*Fix: check catalog.auth.clientId and clientSecret`));
    assert.ok(!e.message.includes(secret) && !JSON.stringify(e.toJSON()).includes(secret), 'the secret is not in the error');
    return true;
  });

  const token = 'wrong-token-51c2';
  await assert.rejects(new RestCatalog({ type: 'rest', uri: restServer.uri, auth: { type: 'bearer', token } }).loadTable({ namespace: ns, name: 'x' }), (e: unknown) => {
    assert.ok(e instanceof FerryError && e.code === 'FERRY_ICEBERG_CATALOG_AUTH', String(e));
    assert.match(e.message, new RegExp(`Iceberg REST catalog GET ${restServer.uri}/v1/config refused Ferry's credentials \\(401 NotAuthorizedException: invalid bearer token\\)\\. Fix: check catalog.auth`));
    assert.ok(!e.message.includes(token));
    return true;
  });
  await assert.rejects(new RestCatalog({ type: 'rest', uri: restServer.uri }).listTables(ns),
    (e: unknown) => e instanceof FerryError && e.code === 'FERRY_ICEBERG_CATALOG_AUTH' && /missing bearer token.*the catalog wants a token; set bearer, oauth2 or sigv4/.test(e.message));
});

test('an unreachable catalog is FERRY_ICEBERG_CATALOG_UNREACHABLE after the retries, naming the endpoint and the fix', async () => {
  const port = await freePort();
  const cat = new RestCatalog({ type: 'rest', uri: `http://user:pw@127.0.0.1:${port}/api/catalog`, retries: 2, retryBaseMs: 10 });
  const t0 = Date.now();
  await assert.rejects(cat.loadTable({ namespace: ['a'], name: 'b' }), (e: unknown) => {
    assert.ok(e instanceof FerryError);
    assert.equal(e.code, 'FERRY_ICEBERG_CATALOG_UNREACHABLE');
    assert.equal(e.disposition, 'retry');
    assert.equal(e.message, `Iceberg REST catalog GET http://127.0.0.1:${port}/api/catalog/v1/config unreachable (ECONNREFUSED; retried with backoff up to catalog.retries = 2 times). ` +
      `Fix: check catalog.uri (http://127.0.0.1:${port}/api/catalog) and that the catalog is running and reachable from here.`);
    return true;
  });
  assert.ok(Date.now() - t0 < 5_000);
});

test('SigV4 (Glue): every request is signed as AWS specifies, checked by an independent implementation in the proxy', async () => {
  proxy.sigv4 = [];
  const cat = new RestCatalog({ type: 'rest', uri: proxy.uri, auth: { type: 'sigv4', region: 'eu-west-1', service: 'glue', ...SIG_KEYS } });
  const id = { namespace: ns, name: 'signed' };
  const t = await cat.createTable({ identifier: id, schema, partitionSpec: { 'spec-id': 0, fields: [] } });
  const a = await appendUpdates(t, 'pos-signed');
  await commit(cat, t, a.updates);
  assert.deepEqual(await cat.listTables(ns).then((l) => l.map((x) => x.name).sort()), ['signed', 'unknown_outcomes']);
  assert.ok(proxy.sigv4.length >= 5, proxy.sigv4.join('\n'));
  assert.deepEqual(proxy.sigv4.filter((s) => !s.endsWith(': ok')), [], 'all signatures verify');
  assert.ok(proxy.sigv4.some((s) => s.startsWith('POST ') && s.includes('%1F')), 'a nested namespace path (unit separator) was signed');
});

test('metadata with a 63-bit snapshot id (Spark, PyIceberg) is FERRY_UNSUPPORTED naming the value, not silently rounded', async () => {
  const cat = new RestCatalog({ type: 'rest', uri: proxy.uri, auth: { type: 'bearer', token: restServer.token } });
  proxy.bigIds = true;
  try {
    await assert.rejects(cat.loadTable({ namespace: ns, name: 'unknown_outcomes' }), (e: unknown) => {
      assert.ok(e instanceof FerryError && e.code === 'FERRY_UNSUPPORTED', String(e));
      assert.match(e.message, /unknown_outcomes's metadata holds integers beyond 2\^53 \(7212387295012476503\)/);
      return true;
    });
  } finally { proxy.bigIds = false; }
  assert.ok(await cat.loadTable({ namespace: ns, name: 'unknown_outcomes' }));
});

test('through the sink: a commit whose answer is lost after the catalog applied it is recognised, and nothing is committed twice', async () => {
  const kit = fixture();
  const ns2 = `${ns[0]}_sink`;
  const options = { warehouse: '/unused', catalog: { type: 'rest', uri: proxy.uri, auth: { type: 'bearer', token: restServer.token }, retryBaseMs: 10 }, namespace: ns2, mode: 'upsert' };
  const sink = await icebergSink.create({ name: 'lost-answer', type: 'iceberg', options });
  try {
    const w = workload(kit, { prefix: ns2, rows: 30, changesV1: 60, changesV2: 0, seed: 9 });
    const batch = await kafkaRecords(w.events, { prefix: ns2, partitions: 2, registry: new FakeRegistry(), sourceFields: sink.sourceFields ?? 'all' });
    const size = Math.ceil(batch.records.length / 3);
    const ctx = { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file: () => {} } };
    await sink.write(batch.records.slice(0, size), ctx);
    proxy.forwardedCommits = 0;
    proxy.faults.push('drop-after-apply');
    await sink.write(batch.records.slice(size, 2 * size), ctx);
    assert.equal(proxy.forwardedCommits, 1, 'the commit reached the catalog once');
    await sink.write(batch.records.slice(2 * size), ctx);
    const got = await readWithPyIcebergRest({ uri: restServer.uri, token: restServer.token, table: `${ns2}.${kit.v1.id.table}`, columns: COLUMNS_V2.map((c) => ({ name: c.name, sql: duckCanonicalSql(c) })) });
    assert.deepEqual(got.rows.map((row) => COLUMNS_V2.map((c) => normalizeRead(c, row[c.name] === null ? null : String(row[c.name]))).join('|')).sort(), expectedRows(w).sort());
    const t = await bearer().loadTable({ namespace: [ns2], name: kit.v1.id.table });
    assert.equal(t?.metadata.snapshots?.length, 3, 'one snapshot per batch');
  } finally {
    await sink.close();
    const cat = bearer();
    for (const x of await cat.listTables([ns2]).catch(() => [] as TableIdentifier[])) await cat.dropTable(x, { purge: true });
  }
});
