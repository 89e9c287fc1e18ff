// POST /stop on the control API (`ferry cutover`): the run's token and the Origin rule, then one call to the stop;
// and /healthz, /readyz on the same metrics server need no token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import { startMetricsServer } from '../../src/metrics/metrics-server.ts';
import { ControlApi } from '../../src/control/control-api.ts';
import { readControlToken } from '../../src/control/control-token.ts';
import { Readiness } from '../../src/health/readiness.ts';

test('POST /stop needs the token, refuses a web page, and stops once; /healthz and /readyz need none', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-stop-'));
  let stops = 0;
  const control = new ControlApi({ stateDir, stop: () => { stops++; } });
  const readiness = new Readiness();
  const server = await startMetricsServer({ metrics: new PromMetrics({ collectProcessMetrics: false }), host: '127.0.0.1', port: 0, handle: control.handler(), readiness });
  try {
    const base = server.url.replace('/metrics', '');
    const token = readControlToken(stateDir)!;
    const call = async (init: RequestInit) => {
      const r = await fetch(`${base}/stop`, init);
      return [r.status, await r.json()] as const;
    };
    assert.equal((await call({ method: 'POST' }))[0], 401);
    assert.equal((await call({ method: 'POST', headers: { authorization: `Bearer ${'0'.repeat(64)}` } }))[0], 401);
    assert.equal((await call({ method: 'POST', headers: { authorization: `Bearer ${token}`, origin: 'http://evil.example' } }))[0], 403);
    assert.deepEqual(await call({ method: 'GET', headers: { authorization: `Bearer ${token}` } }), [405, { error: 'use POST /stop' }]);
    assert.equal(stops, 0);
    assert.deepEqual(await call({ method: 'POST', headers: { authorization: `Bearer ${token}` } }), [202, { stopping: true }]);
    assert.equal(stops, 1);

    const ready = async () => { const r = await fetch(`${base}/readyz`); return [r.status, await r.json()] as const; };
    assert.deepEqual((await ready())[0], 503);
    readiness.component('source').ready();
    assert.deepEqual((await ready())[0], 200);
    readiness.stopping();
    const [status, body] = await ready();
    assert.equal(status, 503);
    assert.deepEqual((body as { notReady: string[] }).notReady, ['source']);
    assert.equal((await fetch(`${base}/healthz?probe=1`)).status, 200);
  } finally {
    await server.close();
  }
});

test('POST /stop answers 501 where the process has no stop', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-stop-'));
  const control = new ControlApi({ stateDir });
  const server = await startMetricsServer({ metrics: new PromMetrics({ collectProcessMetrics: false }), host: '127.0.0.1', port: 0, handle: control.handler() });
  try {
    const r = await fetch(server.url.replace('/metrics', '/stop'), { method: 'POST', headers: { authorization: `Bearer ${readControlToken(stateDir)!}` } });
    assert.equal(r.status, 501);
    assert.equal((await fetch(server.url.replace('/metrics', '/readyz'))).status, 200, 'without a Readiness, ready as soon as it listens');
  } finally {
    await server.close();
  }
});
