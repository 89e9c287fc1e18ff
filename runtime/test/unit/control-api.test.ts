// The control API's token (runtime/src/control/control-token.ts) and its checks in front of /signals, on a real
// metrics server: token file mode 0600 and a new token per run, constant-time comparison, Origin, scheme and media type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import { startMetricsServer } from '../../src/metrics/metrics-server.ts';
import { ControlApi } from '../../src/control/control-api.ts';
import { readControlToken, tokensEqual, writeControlToken } from '../../src/control/control-token.ts';

test('writeControlToken: a new 256-bit token per call, in a 0600 file that replaces a wider one', () => {
  const stateDir = join(mkdtempSync(join(tmpdir(), 'ferry-token-')), 'state');
  const first = writeControlToken(stateDir);
  assert.equal(first.file, join(stateDir, 'control-token'));
  assert.match(first.token, /^[0-9a-f]{64}$/);
  assert.equal(readFileSync(first.file, 'utf8'), `${first.token}\n`);
  assert.equal(statSync(first.file).mode & 0o777, 0o600);
  chmodSync(first.file, 0o644);
  const second = writeControlToken(stateDir);
  assert.notEqual(second.token, first.token);
  assert.equal(statSync(second.file).mode & 0o777, 0o600);
  assert.equal(readControlToken(stateDir), second.token);
  assert.equal(readControlToken(join(stateDir, 'nope')), undefined);
  writeFileSync(join(stateDir, 'control-token'), '\n');
  assert.equal(readControlToken(stateDir), undefined);
});

test('tokensEqual compares whole tokens of any length', () => {
  assert.equal(tokensEqual('abc', 'abc'), true);
  assert.equal(tokensEqual('abc', 'abd'), false);
  assert.equal(tokensEqual('ab', 'abc'), false);
  assert.equal(tokensEqual('', 'abc'), false);
});

test('/signals checks Origin, then the token, then the media type, before it looks at the source', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-control-'));
  const control = new ControlApi({ stateDir });
  const server = await startMetricsServer({ metrics: new PromMetrics({ collectProcessMetrics: false }), host: '127.0.0.1', port: 0, handle: control.handler() });
  try {
    const base = server.url.replace('/metrics', '/signals');
    const own = new URL(base).origin;
    const token = readControlToken(stateDir)!;
    const file = join(stateDir, 'control-token');
    const where = `send "Authorization: Bearer <token>" with the token in ${file} (written, readable by its owner only, when the task started; each run writes a new one; \`ferry snapshot <task-file>\` reads it from there)`;
    const call = async (init: RequestInit = {}) => {
      const r = await fetch(base, init);
      return [r.status, ((await r.json()) as { error: string }).error] as const;
    };
    const bearer = { authorization: `Bearer ${token}` };
    assert.deepEqual(await call({ method: 'PUT' }), [405, 'use GET /signals or POST /signals']);
    assert.deepEqual(await call({ headers: { ...bearer, origin: 'null' } }), [403, 'requests from a web page (Origin "null") are refused: call /signals with `ferry snapshot` or from a script']);
    assert.deepEqual(await call({ headers: { ...bearer, origin: 'http://127.0.0.1:1' } }), [403, 'requests from a web page (Origin "http://127.0.0.1:1") are refused: call /signals with `ferry snapshot` or from a script']);
    assert.deepEqual(await call(), [401, `this endpoint needs the task's control token: ${where}`]);
    assert.deepEqual(await call({ headers: { authorization: token } }), [401, `the Authorization header must use the Bearer scheme: ${where}`]);
    assert.deepEqual(await call({ headers: { authorization: `Token ${token}` } }), [401, `the Authorization header must use the Bearer scheme: ${where}`]);
    assert.deepEqual(await call({ headers: { authorization: `Bearer ${token.slice(0, -1)}` } }), [401, `the control token is wrong (not this run's): ${where}`]);
    assert.deepEqual(await call({ headers: { authorization: `Bearer ${token} extra` } }), [401, `the Authorization header must use the Bearer scheme: ${where}`]);
    assert.deepEqual(await call({ method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }),
      [415, 'POST /signals takes content-type application/json only (got "application/x-www-form-urlencoded")']);
    assert.deepEqual(await call({ method: 'POST', headers: { ...bearer, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }),
      [415, 'POST /signals takes content-type application/json only (got "multipart/form-data; boundary=x")']);
    // past every check (the scheme is case-insensitive, charset is allowed, the server's own Origin is fine): the source is not open yet
    assert.deepEqual(await call({ method: 'POST', headers: { authorization: `bearer ${token}`, 'content-type': 'Application/JSON; charset=utf-8', origin: own }, body: '{}' }),
      [503, 'the task is starting: its source is not open yet; try again']);
    assert.deepEqual(await call({ headers: bearer }), [503, 'the task is starting: its source is not open yet; try again']);
    // the metrics routes stay open
    assert.equal((await fetch(server.url)).status, 200);
  } finally {
    await server.close();
  }
});

test('a ControlApi whose handler was never made refuses every request', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-control-'));
  const control = new ControlApi({ stateDir });
  const server = await startMetricsServer({ metrics: new PromMetrics({ collectProcessMetrics: false }), host: '127.0.0.1', port: 0, handle: (req, res) => control.handle(req, res) });
  try {
    const r = await fetch(server.url.replace('/metrics', '/signals'), { headers: { authorization: 'Bearer ' } });
    assert.equal(r.status, 401);
    const r2 = await fetch(server.url.replace('/metrics', '/signals'), { headers: { authorization: `Bearer ${'a'.repeat(64)}` } });
    assert.equal(r2.status, 401);
  } finally {
    await server.close();
  }
});
