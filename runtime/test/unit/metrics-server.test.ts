import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PromMetrics } from '../../src/metrics/metrics.ts';
import { startMetricsServer } from '../../src/metrics/metrics-server.ts';

test('metrics are served as Prometheus text over HTTP', async () => {
  const metrics = new PromMetrics({ defaultLabels: { task: 'shop' } });
  metrics.counter('events_total', 'Change events', ['table', 'op']).inc({ table: 'shop.orders', op: 'c' }, 3);
  metrics.gauge('source_lag_ms', 'lag', ['task']).set({ task: 'shop' }, 42);
  const server = await startMetricsServer({ metrics, host: '127.0.0.1', port: 0 });
  try {
    const res = await fetch(server.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    assert.match(body, /^# HELP ferry_events_total Change events$/m);
    assert.match(body, /^ferry_events_total\{table="shop\.orders",op="c",task="shop"\} 3$/m);
    assert.match(body, /^ferry_source_lag_ms\{task="shop"\} 42$/m);
    assert.match(body, /^ferry_process_resident_memory_bytes\{task="shop"\} \d+$/m);
    assert.equal((await fetch(server.url.replace('/metrics', '/healthz'))).status, 200);
    assert.equal((await fetch(server.url.replace('/metrics', '/nope'))).status, 404);
  } finally {
    await server.close();
  }
});
