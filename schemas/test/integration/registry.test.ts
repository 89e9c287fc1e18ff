/**
 * ConfluentRegistryClient against the real registry (Apicurio 3.3.3, ccompat v7; `npm run services:up`).
 * FERRY_REGISTRY_URL overrides the URL. Every run uses fresh subjects and deletes them afterwards.
 *
 * Observed Apicurio behaviour this test pins down:
 * - registering the same schema text again under a subject returns the same id;
 * - GET /schemas/ids/{id} returns the text as registered;
 * - the default compatibility level is NONE; with PUT /config/{subject} BACKWARD it is enforced:
 *   POST /compatibility/... answers {"is_compatible":false} and POST /subjects/{s}/versions answers 409;
 * - a compatibility check on a subject that does not exist answers {"is_compatible":true} (200, not 404).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { TableSchema } from '../../../core/src/types.ts';
import { ConfluentRegistryClient } from '../../src/ConfluentRegistryClient.ts';
import { avroSchemaToString } from '../../src/avro-mapping.ts';
import { avscType } from '../../src/avro-types.ts';
import { buildTableSchemas } from '../../src/envelope-schema.ts';
import { MYSQL_ALL_TYPES } from '../unit/fixtures.ts';

const URL_ = process.env.FERRY_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const PREFIX = `ferry-it-${Date.now()}-${randomBytes(3).toString('hex')}`;
const options = { connector: 'mysql' as const, topicPrefix: PREFIX };

const v1 = buildTableSchemas(MYSQL_ALL_TYPES, options);
/** A new NOT NULL column without a default: not BACKWARD compatible (new readers cannot fill it for old data). */
const incompatible = buildTableSchemas({ ...MYSQL_ALL_TYPES, version: 2,
  columns: [...MYSQL_ALL_TYPES.columns, { name: 'added_required', type: { type: 'int32' }, nullable: false, sourceType: 'int' }] }, options);
/** A new nullable column: BACKWARD compatible (default null). */
const compatible: ReturnType<typeof buildTableSchemas> = buildTableSchemas({ ...MYSQL_ALL_TYPES, version: 3,
  columns: [...MYSQL_ALL_TYPES.columns, { name: 'added_optional', type: { type: 'string' }, nullable: true, sourceType: 'text' }] } satisfies TableSchema, options);

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe(`ConfluentRegistryClient against ${URL_}`, () => {
  const client = new ConfluentRegistryClient({ url: URL_, retries: 1, backoffMs: 200 });
  const subjects = new Set<string>();

  before(async () => {
    const res = await fetch(`${URL_}/subjects`).catch((e: unknown) => e as Error);
    if (res instanceof Error || !res.ok) {
      throw new Error(`the schema registry is not answering at ${URL_}: start it with npm run services:up (status: npm run services:status)`);
    }
  });

  after(async () => {
    for (const s of subjects) await client.deleteSubject(s, { permanent: true });
  });

  it('registering an envelope twice gives the same id (and a fresh client agrees)', async () => {
    subjects.add(v1.valueSubject);
    const id1 = await client.register(v1.valueSubject, v1.envelope);
    const id2 = await client.register(v1.valueSubject, v1.envelope);
    const id3 = await new ConfluentRegistryClient({ url: URL_ }).register(v1.valueSubject, v1.envelope);
    assert.equal(typeof id1, 'number');
    assert.equal(id2, id1);
    assert.equal(id3, id1);
  });

  it('registers the key schema under <topic>-key', async () => {
    subjects.add(v1.keySubject);
    const id = await client.register(v1.keySubject, v1.key!);
    const latest = await client.latestVersion(v1.keySubject);
    assert.equal(latest?.id, id);
    assert.equal(latest?.version, 1);
    assert.deepEqual(latest?.schema, JSON.parse(avroSchemaToString(v1.key!)));
  });

  it('fetching by id returns what was registered (same JSON, same canonical form)', async () => {
    const id = await client.register(v1.valueSubject, v1.envelope);
    const fetched = await new ConfluentRegistryClient({ url: URL_ }).getById(id);
    assert.deepEqual(fetched, JSON.parse(avroSchemaToString(v1.envelope)));
    assert.equal(avscType(fetched).toString(), avscType(v1.envelope).toString());
  });

  it('a compatibility check on an unknown subject is true', async () => {
    assert.equal(await client.isCompatible(`${PREFIX}.nope.nothing-value`, v1.envelope), true);
  });

  it('under BACKWARD, adding a required field is incompatible: isCompatible false and register fails', async () => {
    await client.setCompatibility(v1.valueSubject, 'BACKWARD');
    assert.equal(await client.isCompatible(v1.valueSubject, incompatible.envelope), false);
    await assert.rejects(client.register(v1.valueSubject, incompatible.envelope), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'FERRY_SCHEMA_INCOMPATIBLE');
      assert.match(e.message, new RegExp(`^the new schema for subject ${v1.valueSubject.replace(/\./g, '\\.')} is incompatible`));
      return true;
    });
  });

  it('under BACKWARD, adding a nullable field is compatible and registers as version 2', async () => {
    assert.equal(await client.isCompatible(v1.valueSubject, compatible.envelope), true);
    const id = await client.register(v1.valueSubject, compatible.envelope);
    const latest = await client.latestVersion(v1.valueSubject);
    assert.deepEqual([latest?.id, latest?.version], [id, 2]);
    assert.notEqual(id, await client.register(v1.valueSubject, v1.envelope));
  });

  it('an unreachable registry gives FERRY_REGISTRY_UNREACHABLE with the exact message', async () => {
    const port = await closedPort();
    const dead = new ConfluentRegistryClient({ url: `http://127.0.0.1:${port}/apis/ccompat/v7`, retries: 0 });
    await assert.rejects(dead.register('x-value', v1.envelope), {
      name: 'FerryError',
      code: 'FERRY_REGISTRY_UNREACHABLE',
      message: `schema registry at http://127.0.0.1:${port}/apis/ccompat/v7 is unreachable (ECONNREFUSED) after 1 attempt; check that it is running: npm run services:status`,
    });
  });
});
