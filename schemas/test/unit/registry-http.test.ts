import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registryFetch } from '../../src/registry-http.ts';

/** A local server that records each request and answers with `status` and `body`. */
async function server(status: number, body: string) {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen, close: () => { srv.closeAllConnections(); srv.close(); } };
}

test('registryFetch: sends method, headers and a UTF-8 body with its length; answers status, ok and text', async () => {
  const s = await server(200, '{"id":7}');
  try {
    const f = registryFetch();
    const body = JSON.stringify({ schema: 'naïve' });
    const r = await f(`${s.url}/subjects/a/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) });
    assert.deepEqual([r.ok, r.status, await r.text()], [true, 200, '{"id":7}']);
    assert.equal(s.seen.length, 1);
    assert.deepEqual([s.seen[0]!.method, s.seen[0]!.url, s.seen[0]!.body], ['POST', '/subjects/a/versions', body]);
    assert.equal(s.seen[0]!.headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(s.seen[0]!.headers['content-type'], 'application/json');
  } finally { s.close(); }
});

test('registryFetch: a 4xx/5xx answer is a response with ok false, not an error', async () => {
  const s = await server(404, '{"error_code":40401}');
  try {
    const r = await registryFetch()(`${s.url}/subjects/x`, { method: 'GET', headers: {}, signal: AbortSignal.timeout(5000) });
    assert.deepEqual([r.ok, r.status, await r.text()], [false, 404, '{"error_code":40401}']);
  } finally { s.close(); }
});

test('registryFetch: a refused connection rejects as fetch does, a TypeError with the socket error as its cause', async () => {
  const s = await server(200, '');
  const url = s.url;
  s.close();
  await assert.rejects(registryFetch()(`${url}/subjects`, { method: 'GET', headers: {}, signal: AbortSignal.timeout(5000) }), (e: Error & { cause?: { code?: string } }) => {
    assert.ok(e instanceof TypeError);
    assert.equal(e.message, 'fetch failed');
    assert.equal(e.cause?.code, 'ECONNREFUSED');
    return true;
  });
});
