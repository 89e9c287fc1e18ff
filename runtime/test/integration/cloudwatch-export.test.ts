// The CloudWatch exporter against moto (http://127.0.0.1:5000): PutMetricData and the embedded metric format, read
// back with CloudWatch's own API (ListMetrics, GetMetricData) and CloudWatch Logs' (FilterLogEvents); and an
// unreachable endpoint: logged once per failure streak, retried with backoff, and bounded at close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createServer, type Socket } from 'node:net';
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchExporter } from '../../src/metrics/cloudwatch-exporter.ts';
import { cloudwatchSettingsSchema } from '../../src/config/cloudwatch-settings.ts';
import { DMS_TASK_METRICS, type DmsSnapshot } from '../../src/metrics/dms-metrics.ts';
import { createLogger } from '../../src/log/logger.ts';
import { services, uniqueName } from '../../../test/helpers/services.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const aws = { region: 'us-east-1', endpoint: services.motoUrl, credentials };

/** Known values: metric i of DMS_TASK_METRICS gets i + 0.5 (validation counts given apart). */
const values = (): DmsSnapshot => ({
  ...Object.fromEntries(DMS_TASK_METRICS.map((d, i) => [d.name, i + 0.5])) as DmsSnapshot,
  ValidationPendingOverallCount: 7, ValidationFailedOverallCount: 1, ValidationSuspendedOverallCount: 0,
});

function capturingLog(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const log = createLogger({ destination: new Writable({ write(c, _e, cb) { out.push(String(c)); cb(); } }) });
  return { log, lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const settings = (extra: Record<string, unknown>) => cloudwatchSettingsSchema.parse({ endpoint: services.motoUrl, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'secret-never-logged', intervalSeconds: 1, ...extra })!;

test('put-metric-data: every DMS metric lands in the namespace with DMS dimensions, values read back with GetMetricData', { timeout: 60_000 }, async () => {
  const namespace = `FerryTest/${uniqueName('cw')}`;
  const task = uniqueName('task'); // (moto's GetMetricData matches dimensions across namespaces: a unique task keeps runs apart)
  const exporter = new CloudWatchExporter({ settings: settings({ namespace, replicationInstanceIdentifier: 'inst-1', replicationTaskIdentifier: task }), taskName: 'ignored', snapshot: values, log: capturingLog().log });
  exporter.collect();
  await exporter.close();
  assert.equal(exporter.exports, 2, 'the collected interval and the one taken at close');
  const cw = new CloudWatchClient(aws);
  const listed = await cw.send(new ListMetricsCommand({ Namespace: namespace }));
  const names = [...new Set((listed.Metrics ?? []).map((m) => m.MetricName))].sort();
  assert.deepEqual(names, [...DMS_TASK_METRICS.map((d) => d.name), 'ValidationFailedOverallCount', 'ValidationPendingOverallCount', 'ValidationSuspendedOverallCount'].sort());
  for (const m of listed.Metrics ?? []) {
    assert.deepEqual((m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).sort(), ['ReplicationInstanceIdentifier=inst-1', `ReplicationTaskIdentifier=${task}`]);
  }
  const dims = [{ Name: 'ReplicationInstanceIdentifier', Value: 'inst-1' }, { Name: 'ReplicationTaskIdentifier', Value: task }];
  const now = Date.now();
  const got = await cw.send(new GetMetricDataCommand({
    StartTime: new Date(now - 600_000), EndTime: new Date(now + 60_000),
    MetricDataQueries: ['CDCLatencySource', 'CDCIncomingChanges', 'FullLoadThroughputBandwidthTarget', 'ValidationPendingOverallCount'].map((name, i) => ({
      Id: `q${i}`, MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions: dims }, Period: 60, Stat: 'Maximum' },
    })),
  }));
  const byId = Object.fromEntries((got.MetricDataResults ?? []).map((r) => [r.Id, r.Values ?? []]));
  const want = values();
  // both intervals carry the same values: one 60 s period, or two when they straddle a minute
  const check = (got: number[] | undefined, v: number, what: string) => assert.ok(got !== undefined && got.length >= 1 && got.length <= 2 && got.every((x) => x === v), `${what}: ${JSON.stringify(got)} (want ${v})`);
  check(byId.q0, want.CDCLatencySource, 'CDCLatencySource');
  check(byId.q1, want.CDCIncomingChanges, 'CDCIncomingChanges');
  check(byId.q2, want.FullLoadThroughputBandwidthTarget, 'FullLoadThroughputBandwidthTarget');
  check(byId.q3, 7, 'ValidationPendingOverallCount');
  cw.destroy();
});

test('emf: one log event per interval in the embedded metric format, read back with FilterLogEvents', { timeout: 60_000 }, async () => {
  const namespace = `FerryTest/${uniqueName('emf')}`;
  const logGroup = `/ferry/test/${uniqueName('emf')}`;
  const exporter = new CloudWatchExporter({ settings: settings({ mode: 'emf', namespace, logGroup, replicationInstanceIdentifier: 'inst-2' }), taskName: 'task-2', snapshot: values, log: capturingLog().log });
  exporter.collect();
  await exporter.close();
  const logs = new CloudWatchLogsClient(aws);
  const events = (await logs.send(new FilterLogEventsCommand({ logGroupName: logGroup, logStreamNames: ['task-2'] }))).events ?? [];
  assert.equal(events.length, 2);
  const doc = JSON.parse(events[0]!.message!) as Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string; StorageResolution?: number }[] }[] } };
  assert.equal(doc._aws.Timestamp, events[0]!.timestamp);
  assert.equal(doc._aws.CloudWatchMetrics.length, 1);
  const directive = doc._aws.CloudWatchMetrics[0]!;
  assert.equal(directive.Namespace, namespace);
  assert.deepEqual(directive.Dimensions, [['ReplicationInstanceIdentifier', 'ReplicationTaskIdentifier']]);
  assert.equal(doc.ReplicationInstanceIdentifier, 'inst-2');
  assert.equal(doc.ReplicationTaskIdentifier, 'task-2', 'default: the task name');
  assert.deepEqual(directive.Metrics.find((m) => m.Name === 'CDCLatencyTarget'), { Name: 'CDCLatencyTarget', Unit: 'Seconds', StorageResolution: 1 });
  assert.deepEqual(directive.Metrics.find((m) => m.Name === 'CDCThroughputBandwidthSource'), { Name: 'CDCThroughputBandwidthSource', Unit: 'Kilobytes/Second', StorageResolution: 1 });
  for (const m of directive.Metrics) assert.equal(doc[m.Name], (values() as Record<string, number>)[m.Name], `${m.Name} is a top-level member with its value`);
  logs.destroy();
});

test('an unreachable endpoint: logged once per failure streak, retried with backoff, close is bounded; no secret in the log', { timeout: 60_000 }, async () => {
  // A server that accepts connections and never answers (the worst case: each request waits for its timeout) ...
  const sockets: Socket[] = [];
  const blackhole = createServer((s) => { sockets.push(s); });
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', () => r()));
  const hole = `http://127.0.0.1:${(blackhole.address() as { port: number }).port}`;
  // ... and a port nothing listens on (refused at once).
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const refused = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
  await new Promise((r) => closed.close(r));
  try {
    const { log, lines } = capturingLog();
    const exporter = new CloudWatchExporter({ settings: settings({ endpoint: refused, namespace: 'FerryTest/unreachable' }), taskName: 't', snapshot: values, log }).start();
    await new Promise((r) => setTimeout(r, 5500)); // ~5 intervals; backoff 1 s, 2 s, 4 s
    const started = Date.now();
    await exporter.close();
    assert.ok(Date.now() - started < 6000, 'close is bounded');
    const warns = lines().filter((l) => String(l.msg).startsWith('CloudWatch export failed'));
    assert.equal(warns.length, 1, 'one warning for the whole failure streak');
    assert.match(String(warns[0]!.msg), /retried|sent again with backoff/);
    assert.equal(exporter.exports, 0);
    // intervals every 1 s, but attempts at 1 s, then 1 s and 2 s of backoff later (the next after 4 s more), and at close
    assert.ok(exporter.failedAttempts >= 3 && exporter.failedAttempts <= 4, `attempts back off: ${exporter.failedAttempts} in 5.5 s of 1 s intervals`);
    assert.ok(!JSON.stringify(lines()).includes('secret-never-logged'), 'no secret in the log');

    const slow = capturingLog();
    const stuck = new CloudWatchExporter({ settings: settings({ endpoint: hole, namespace: 'FerryTest/blackhole' }), taskName: 't', snapshot: values, log: slow.log }).start();
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await stuck.close();
    assert.ok(Date.now() - t0 <= 6000, `close waits at most 5 s on an endpoint that never answers (${Date.now() - t0} ms)`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => blackhole.close(r));
  }
});
