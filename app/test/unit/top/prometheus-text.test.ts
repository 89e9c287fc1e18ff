// The Prometheus text parser of `ferry top` on a /metrics text captured from a real `ferry run` (MariaDB source,
// direct mode; fixtures/metrics.txt), with lines added at its end for what that run did not produce: a label value
// with escaped quotes, a backslash and a newline, NaN, +Inf and -Inf, a timestamp, spaces inside the braces. Then the
// top snapshot and screen built from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePrometheusText, select, sum } from '../../../src/top/prometheus-text.ts';
import { fromMetrics } from '../../../src/top/top-snapshot.ts';
import { draw, renderLines } from '../../../src/top/top-screen.ts';
import { isFerryError } from '../../../../core/src/errors.ts';

const text = readFileSync(join(import.meta.dirname, 'fixtures', 'metrics.txt'), 'utf8');

test('parses every sample of a captured /metrics text, with its labels and TYPE', () => {
  const f = parsePrometheusText(text);
  assert.equal(f.samples.length, text.split('\n').filter((l) => l.startsWith('ferry')).length);
  assert.equal(f.types.get('ferry_events_total'), 'counter');
  assert.equal(f.types.get('ferry_batch_write_seconds'), 'histogram');
  assert.equal(f.types.get('ferry_snapshot_rows_copied'), 'gauge');
  assert.deepEqual(select(f, 'ferry_events_total'), [
    { name: 'ferry_events_total', labels: { table: 'top_cap.items', op: 'r', task: 'top_cap' }, value: 3 },
    { name: 'ferry_events_total', labels: { table: 'top_cap.items', op: 'c', task: 'top_cap' }, value: 1 },
  ]);
  assert.equal(sum(f, 'ferry_dms_cdc_latency_source_seconds'), 0.152);
  assert.equal(sum(f, 'ferry_process_start_time_seconds'), 1796586950);
  assert.equal(sum(f, 'ferry_no_such_metric'), null);
  assert.deepEqual(select(f, 'ferry_batch_write_seconds_bucket', { le: '+Inf' }).map((s) => s.value), [2]);
});

test('escaped quotes, backslash and newline in label values; NaN, +Inf, -Inf; timestamps; spaces in braces', () => {
  const f = parsePrometheusText(text);
  assert.ok(Number.isNaN(select(f, 'ferry_sink_lag_ms').at(-1)!.value));
  assert.deepEqual(select(f, 'ferry_odd'), [
    { name: 'ferry_odd', labels: { table: 'shop.we"ird\\na\nme', op: 'c', task: 'top_cap' }, value: Number.POSITIVE_INFINITY },
    { name: 'ferry_odd', labels: { table: 'shop.cold', op: 'c', task: 'top_cap' }, value: Number.NEGATIVE_INFINITY },
    { name: 'ferry_odd', labels: { table: 'spaced' }, value: 1500 },
  ]);
});

test('NaN and Inf in any case, as Prometheus reads them: prom-client writes NaN as "Nan"', () => {
  const f = parsePrometheusText('a Nan\nb nan\nc inf\nd -INF\ne +Inf\n');
  assert.deepEqual(f.samples.map((s) => s.value), [Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
});

test('text that is not Prometheus text is refused with FERRY_TASK_NOT_RUNNING and the line', () => {
  for (const [bad, message] of [
    ['<html>hello</html>', /^metrics text line 1: a metric name was expected: <html>hello<\/html>$/],
    ['ferry_x{a="1"} twelve', /^metrics text line 1: "twelve" is not a number; is this a Prometheus endpoint\?$/],
    ['# ok\nferry_x{a="1}', /^metrics text line 2: label a: unterminated value$/],
    ['ferry_x{a=1} 2', /^metrics text line 1: label a: a quoted value expected$/],
    ['ferry_x', /^metrics text line 1: ferry_x has no value; is this a Prometheus endpoint\?$/],
  ] as const) {
    assert.throws(() => parsePrometheusText(bad), (e: unknown) => isFerryError(e) && e.code === 'FERRY_TASK_NOT_RUNNING' && message.test(e.message));
  }
});

test('the top snapshot of two samples: rows copied, estimate, percentage, ETA from the copy rate, events/s', () => {
  const target = { url: 'http://127.0.0.1:9464', task: 'shop', migrationType: 'full-load-and-cdc', hint: '' };
  const at = (copied: number, events: number) => parsePrometheusText([
    `ferry_snapshot_rows_copied{table="shop.orders",task="shop"} ${copied}`,
    'ferry_snapshot_rows_total_estimate{table="shop.orders",task="shop"} 10000',
    `ferry_events_total{table="shop.orders",op="r",task="shop"} ${copied}`,
    `ferry_events_total{table="shop.users",op="c",task="shop"} ${events}`,
    'ferry_dms_cdc_throughput_rows_source_per_second{task="shop"} 4.5',
    'ferry_dms_full_load_throughput_rows_source_per_second{task="shop"} 1000',
    'ferry_dms_cdc_latency_source_seconds{task="shop"} 1.25',
    'ferry_sink_dead_letters_total{sink="copy",stage="decode",task="shop"} 2',
    'ferry_validation_records{table="shop.users",target="copy",state="failed",task="shop"} 3',
    'ferry_process_start_time_seconds{task="shop"} 1000',
  ].join('\n'));
  const ready = { ready: true, notReady: [], components: {} };
  const first = fromMetrics(at(2000, 10), ready, target, 1_100_000);
  assert.equal(first.snapshot.tables[0]!.etaSeconds, null);
  assert.equal(first.snapshot.tables[0]!.eventsPerSecond, null);
  const second = fromMetrics(at(4000, 30), { ready: false, notReady: ['sinks'], components: { sinks: { state: 'retrying', reason: 'target down' } } } as never, target, 1_102_000, first.raw);
  assert.deepEqual({ ...second.snapshot, at: undefined }, {
    source: 'metrics', endpoint: 'http://127.0.0.1:9464', task: 'shop', state: 'not ready', reason: 'sinks: target down',
    migrationType: 'full-load-and-cdc', uptimeSeconds: 102, eventsPerSecond: 1004.5, latencySourceSeconds: 1.25, latencyTargetSeconds: null,
    deadLetters: 2, retries: 0, at: undefined,
    tables: [
      { table: 'shop.orders', state: 'full load', rowsCopied: 4000, rowsEstimate: 10000, percent: 40, etaSeconds: 6, events: 4000, eventsPerSecond: 1000, errors: 0 },
      { table: 'shop.users', state: 'cdc', rowsCopied: 0, rowsEstimate: null, percent: null, etaSeconds: null, events: 30, eventsPerSecond: 10, errors: 3 },
    ],
  });
  const lines = renderLines(second.snapshot, 200, 2);
  assert.equal(lines[0], 'ferry top - task shop  state not ready (sinks: target down)  type full-load-and-cdc  uptime 1m42s');
  assert.equal(lines[1], 'events/s 1004.5  CDCLatencySource 1.250s  CDCLatencyTarget -  dead letters 2  retries 0');
  assert.equal(lines[5], 'shop.orders full load               4000      10000    40%       6s       4000      1000       0');
  assert.ok(renderLines(second.snapshot, 30, 2).every((l) => l.length <= 30));
  const screen = draw(second.snapshot, { columns: 40, rows: 3 }, 2);
  assert.ok(screen.startsWith('\x1b[H'));
  assert.equal(screen.split('\r\n').length, 3);
});
