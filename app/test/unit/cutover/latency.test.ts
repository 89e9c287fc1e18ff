// cdcLatencySourceSeconds: DMS's CDCLatencySource read from a Prometheus exposition, or computed from ferry_source_lag_ms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cdcLatencySourceSeconds } from '../../../src/cutover/task-endpoint.ts';
import { compareLog } from '../../../src/cutover/source-log.ts';
import type { Position } from '../../../../core/src/types.ts';

test('the DMS-named metric wins; per-table series and other tasks are ignored', () => {
  const text = [
    '# HELP ferry_source_lag_ms Milliseconds between the source commit of the last written event and its write',
    'ferry_source_lag_ms{task="shop"} 2500',
    'ferry_source_lag_ms{task="other"} 99000',
    'ferry_dms_cdc_latency_source_seconds{task="shop",table="shop.orders"} 40',
    'ferry_dms_cdc_latency_source_seconds{task="other"} 70',
    'ferry_dms_cdc_latency_source_seconds{task="shop"} 3',
  ].join('\n');
  assert.equal(cdcLatencySourceSeconds(text, 'shop'), 3);
  assert.equal(cdcLatencySourceSeconds(text, 'other'), 70);
});

test('without the DMS metric, ferry_source_lag_ms in seconds; no sample at all is null', () => {
  assert.equal(cdcLatencySourceSeconds('ferry_source_lag_ms{task="shop"} 2500\n', 'shop'), 2.5);
  assert.equal(cdcLatencySourceSeconds('ferry_events_total{task="shop",table="a.b",op="c"} 3\n', 'shop'), null);
  assert.equal(cdcLatencySourceSeconds('ferry_source_lag_ms{task="x"} 10\n', 'shop'), null);
});

test('positions compare in log order: MySQL by file and offset (not the GTID text), PostgreSQL by LSN', () => {
  const p = (s: string) => s as Position;
  assert.ok(compareLog(p('mysql:0000000003:000000004711:mariadb-bin:0-1-9'), p('mysql:0000000003:000000004711:mariadb-bin:0-1-10')) === 0);
  assert.ok(compareLog(p('mysql:0000000003:000000004711:mariadb-bin'), p('mysql:0000000004:000000000004:mariadb-bin')) < 0);
  assert.ok(compareLog(p('pg:00000000016B3748'), p('pg:00000000016B3700')) > 0);
});
