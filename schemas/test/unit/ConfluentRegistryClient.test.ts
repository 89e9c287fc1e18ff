import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfluentRegistryClient } from '../../src/ConfluentRegistryClient.ts';

interface Call { readonly url: string; readonly method: string; readonly headers: Record<string, string>; readonly body: unknown }
type Reply = { status: number; body?: unknown } | Error | 'hang';

/** A scripted fetch: answers each call with the next reply (the last one repeats). */
function fakeFetch(...replies: Reply[]): { fetch: typeof globalThis.fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), method: init?.method ?? 'GET', headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body === undefined ? undefined : JSON.parse(String(init.body)) });
    const r = replies[Math.min(calls.length - 1, replies.length - 1)]!;
    if (r === 'hang') {
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    }
    if (r instanceof Error) throw r;
    return new Response(r.body === undefined ? '' : JSON.stringify(r.body), { status: r.status });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const URL_ = 'http://registry.test:8081/apis/ccompat/v7';
const SCHEMA = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }] };
const refused = (): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });

describe('ConfluentRegistryClient', () => {
  it('registers with POST /subjects/{s}/versions and caches per (subject, schema)', async () => {
    const f = fakeFetch({ status: 200, body: { id: 42 } });
    const c = new ConfluentRegistryClient({ url: `${URL_}/`, fetch: f.fetch });
    const [a, b] = await Promise.all([c.register('t-value', SCHEMA), c.register('t-value', SCHEMA)]);
    assert.equal(await c.register('t-value', { ...SCHEMA }), 42);
    assert.deepEqual([a, b], [42, 42]);
    assert.equal(f.calls.length, 1);
    assert.equal(f.calls[0]!.url, `${URL_}/subjects/t-value/versions`);
    assert.equal(f.calls[0]!.method, 'POST');
    assert.equal(f.calls[0]!.headers['content-type'], 'application/vnd.schemaregistry.v1+json');
    assert.deepEqual(f.calls[0]!.body, { schemaType: 'AVRO', schema: JSON.stringify(SCHEMA) });
    await c.register('other-value', SCHEMA);
    assert.equal(f.calls.length, 2);
  });

  it('encodes subjects in paths', async () => {
    const f = fakeFetch({ status: 200, body: { id: 1 } });
    await new ConfluentRegistryClient({ url: URL_, fetch: f.fetch }).register('a/b c-value', SCHEMA);
    assert.equal(f.calls[0]!.url, `${URL_}/subjects/a%2Fb%20c-value/versions`);
  });

  it('getById parses and caches', async () => {
    const f = fakeFetch({ status: 200, body: { schema: JSON.stringify(SCHEMA) } });
    const c = new ConfluentRegistryClient({ url: URL_, fetch: f.fetch });
    assert.deepEqual(await c.getById(7), SCHEMA);
    assert.deepEqual(await c.getById(7), SCHEMA);
    assert.equal(f.calls.length, 1);
    assert.equal(f.calls[0]!.url, `${URL_}/schemas/ids/7`);
  });

  it('isCompatible: the registry answer; a missing subject is compatible', async () => {
    let f = fakeFetch({ status: 200, body: { is_compatible: false } });
    assert.equal(await new ConfluentRegistryClient({ url: URL_, fetch: f.fetch }).isCompatible('s', SCHEMA), false);
    assert.equal(f.calls[0]!.url, `${URL_}/compatibility/subjects/s/versions/latest`);
    f = fakeFetch({ status: 404, body: { error_code: 40401, message: "Subject 's' not found." } });
    assert.equal(await new ConfluentRegistryClient({ url: URL_, fetch: f.fetch }).isCompatible('s', SCHEMA), true);
  });

  it('409 on register is FERRY_SCHEMA_INCOMPATIBLE naming the subject', async () => {
    const f = fakeFetch({ status: 409, body: { error_code: 409, message: 'Incompatible artifact' } });
    await assert.rejects(new ConfluentRegistryClient({ url: URL_, fetch: f.fetch }).register('shop.orders-value', SCHEMA), (e: Error & { code?: string; disposition?: string }) => {
      assert.equal(e.code, 'FERRY_SCHEMA_INCOMPATIBLE');
      assert.equal(e.disposition, 'fatal');
      assert.match(e.message, /subject shop\.orders-value is incompatible/);
      assert.match(e.message, /Incompatible artifact/);
      return true;
    });
    assert.equal(f.calls.length, 1);
  });

  it('other 4xx: FERRY_REGISTRY_ERROR with the error_code and message, fatal, not retried', async () => {
    const f = fakeFetch({ status: 422, body: { error_code: 42201, message: 'Invalid schema' } });
    await assert.rejects(new ConfluentRegistryClient({ url: URL_, fetch: f.fetch, backoffMs: 1 }).register('s', SCHEMA), (e: Error & { code?: string; disposition?: string }) => {
      assert.equal(e.code, 'FERRY_REGISTRY_ERROR');
      assert.equal(e.disposition, 'fatal');
      assert.equal(e.message, `schema registry at ${URL_} refused to register a schema under subject s: HTTP 422, error_code 42201: Invalid schema`);
      return true;
    });
    assert.equal(f.calls.length, 1);
  });

  it('retries 5xx with backoff, then succeeds', async () => {
    const f = fakeFetch({ status: 503, body: { error_code: 50003, message: 'busy' } }, { status: 500 }, { status: 200, body: { id: 3 } });
    assert.equal(await new ConfluentRegistryClient({ url: URL_, fetch: f.fetch, backoffMs: 1 }).register('s', SCHEMA), 3);
    assert.equal(f.calls.length, 3);
  });

  it('gives up on persistent 5xx with a retriable FERRY_REGISTRY_ERROR', async () => {
    const f = fakeFetch({ status: 500, body: { error_code: 50001, message: 'store down' } });
    await assert.rejects(new ConfluentRegistryClient({ url: URL_, fetch: f.fetch, backoffMs: 1, retries: 2 }).getById(1),
      { code: 'FERRY_REGISTRY_ERROR', disposition: 'retry', message: `schema registry at ${URL_} refused to fetch schema id 1: HTTP 500, error_code 50001: store down` });
    assert.equal(f.calls.length, 3);
  });

  it('network errors: retried, then FERRY_REGISTRY_UNREACHABLE naming the URL and services:status', async () => {
    const f = fakeFetch(refused());
    await assert.rejects(new ConfluentRegistryClient({ url: URL_, fetch: f.fetch, backoffMs: 1, retries: 2 }).register('s', SCHEMA), {
      code: 'FERRY_REGISTRY_UNREACHABLE',
      message: `schema registry at ${URL_} is unreachable (ECONNREFUSED) after 3 attempts; check that it is running: npm run services:status`,
    });
    assert.equal(f.calls.length, 3);
  });

  it('times out a request that does not answer', async () => {
    const f = fakeFetch('hang');
    await assert.rejects(new ConfluentRegistryClient({ url: URL_, fetch: f.fetch, timeoutMs: 30, retries: 0 }).getById(1), {
      code: 'FERRY_REGISTRY_UNREACHABLE',
      message: `schema registry at ${URL_} is unreachable (no answer within 30 ms) after 1 attempt; check that it is running: npm run services:status`,
    });
  });

  it('follows the caller\'s AbortSignal', async () => {
    const ac = new AbortController();
    const f = fakeFetch('hang');
    const p = new ConfluentRegistryClient({ url: URL_, fetch: f.fetch, signal: ac.signal }).getById(1);
    setTimeout(() => ac.abort(), 10);
    await assert.rejects(p, { code: 'FERRY_ABORTED' });
  });

  it('basic auth from options or URL; the password never appears in url or messages', async () => {
    let f = fakeFetch({ status: 200, body: { id: 1 } });
    await new ConfluentRegistryClient({ url: URL_, username: 'ferry', password: 's3cr3t!', fetch: f.fetch }).register('s', SCHEMA);
    assert.equal(f.calls[0]!.headers.authorization, `Basic ${Buffer.from('ferry:s3cr3t!').toString('base64')}`);
    f = fakeFetch(refused());
    const c = new ConfluentRegistryClient({ url: 'http://ferry:s3cr3t%21@registry.test:8081/apis/ccompat/v7', fetch: f.fetch, retries: 0 });
    assert.equal(c.url, URL_);
    await assert.rejects(c.register('s', SCHEMA), (e: Error) => !e.message.includes('s3cr3t') && !JSON.stringify(e).includes('s3cr3t'));
    assert.equal(f.calls[0]!.url.includes('s3cr3t'), false);
    assert.equal(f.calls[0]!.headers.authorization, `Basic ${Buffer.from('ferry:s3cr3t!').toString('base64')}`);
  });

  it('latestVersion: the parsed latest version, or null for an unknown subject', async () => {
    let f = fakeFetch({ status: 200, body: { subject: 's', version: 2, id: 9, schema: JSON.stringify(SCHEMA) } });
    assert.deepEqual(await new ConfluentRegistryClient({ url: URL_, fetch: f.fetch }).latestVersion('s'), { subject: 's', version: 2, id: 9, schema: SCHEMA });
    f = fakeFetch({ status: 404, body: { error_code: 40401, message: 'not found' } });
    assert.equal(await new ConfluentRegistryClient({ url: URL_, fetch: f.fetch }).latestVersion('s'), null);
  });

  it('setCompatibility uses PUT /config/{subject}', async () => {
    const f = fakeFetch({ status: 200, body: { compatibility: 'BACKWARD' } });
    await new ConfluentRegistryClient({ url: URL_, fetch: f.fetch }).setCompatibility('s', 'BACKWARD');
    assert.deepEqual([f.calls[0]!.method, f.calls[0]!.url, f.calls[0]!.body], ['PUT', `${URL_}/config/s`, { compatibility: 'BACKWARD' }]);
  });

  it('rejects a malformed URL', () => {
    assert.throws(() => new ConfluentRegistryClient({ url: 'not a url' }), { code: 'FERRY_REGISTRY_ERROR' });
  });
});
