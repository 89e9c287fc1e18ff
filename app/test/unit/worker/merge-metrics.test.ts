import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePrometheusText } from '../../../src/worker/merge-metrics.ts';

test('metric families of several registries are merged under one HELP and TYPE each', () => {
  const worker = '# HELP ferry_cluster_members m\n# TYPE ferry_cluster_members gauge\nferry_cluster_members{worker="w1"} 2\n';
  const a = '# HELP ferry_events_total e\n# TYPE ferry_events_total counter\nferry_events_total{task="a",op="c"} 3\n';
  const b = '# HELP ferry_events_total e\n# TYPE ferry_events_total counter\nferry_events_total{task="b",op="c"} 5\nferry_events_total{task="b",op="u"} 1\n';
  assert.equal(mergePrometheusText([worker, a, b]), [
    '# HELP ferry_cluster_members m', '# TYPE ferry_cluster_members gauge', 'ferry_cluster_members{worker="w1"} 2',
    '# HELP ferry_events_total e', '# TYPE ferry_events_total counter', 'ferry_events_total{task="a",op="c"} 3', 'ferry_events_total{task="b",op="c"} 5', 'ferry_events_total{task="b",op="u"} 1',
  ].join('\n') + '\n');
});
