/**
 * `ferry import-dms` on DMS documents taken from the DMS User Guide and the AWS CLI reference (fixtures/README.md):
 * each imported task file validates (parseTask and each target's options, as `ferry validate --offline`), the
 * report covers every leaf of the input, and the list of what was not carried over is exactly the expected one.
 * The task file is read back from disk by the YAML parser, an independent reader. No service needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { importDmsTask, leaves, validateImported } from '../../../src/import-dms/import-task.ts';
import { parseExtraConnectionAttributes } from '../../../src/import-dms/endpoint-map.ts';
import { parseTask } from '../../../src/task-file/load-task.ts';
import { targetOptionProblems } from '../../../src/task/targets.ts';

const dir = new URL('./fixtures/', import.meta.url).pathname;
const load = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown;
const root = new URL('../../../../', import.meta.url).pathname;

interface Case { readonly name: string; readonly task: string; readonly endpoints: string; readonly notCarried: readonly string[]; readonly variables: readonly string[] }

const CASES: readonly Case[] = [
  { name: 'moveit2', task: 'cli-moveit2-task.json', endpoints: 'cli-moveit2-endpoints.json', notCarried: ['task moveit2 ReplicationTaskSettings'], variables: ['DMS_PRI100_PASSWORD', 'DMS_PG_TARGET_PASSWORD'] },
  {
    name: 'kinesis-task', task: 'guide-kinesis-task.json', endpoints: 'guide-kinesis-endpoints.json', variables: ['DMS_MYSQL_SOURCE_PASSWORD'],
    notCarried: ['task kinesis-task ReplicationTaskSettings.BeforeImageSettings.ColumnFilter', 'endpoint mysql-source ExtraConnectionAttributes.EventsPollInterval', 'endpoint mysql-source ExtraConnectionAttributes.ServerTimezone', 'endpoint mysql-source MySQLSettings.EventsPollInterval', 'endpoint mysql-source MySQLSettings.ServerTimezone', 'endpoint kinesis-target KinesisSettings.ServiceAccessRoleArn', 'endpoint kinesis-target KinesisSettings.IncludeControlDetails', 'endpoint kinesis-target KinesisSettings.IncludeTransactionDetails', 'endpoint kinesis-target KinesisSettings.IncludePartitionValue', 'endpoint kinesis-target KinesisSettings.PartitionIncludeSchemaTable', 'endpoint kinesis-target KinesisSettings.IncludeTableAlterOperations'],
  },
  {
    name: 's3-parquet-task', task: 'guide-s3-task.json', endpoints: 'guide-s3-endpoints.json', variables: ['DMS_PG_SOURCE_PASSWORD'],
    notCarried: ['task s3-parquet-task ReplicationTaskSettings.FullLoadSettings.TargetTablePrepMode', 'endpoint pg-source PostgreSQLSettings.PluginName', 'endpoint pg-source PostgreSQLSettings.CaptureDdls', 'endpoint pg-source PostgreSQLSettings.DdlArtifactsSchema', 'endpoint s3-target ExtraConnectionAttributes.parquetVersion', 'endpoint s3-target S3Settings.ServiceAccessRoleArn', 'endpoint s3-target S3Settings.ParquetVersion'],
  },
  { name: 'dynamodb-task', task: 'guide-dynamodb-task.json', endpoints: 'guide-dynamodb-endpoints.json', variables: ['DMS_MARIADB_SOURCE_PASSWORD'], notCarried: ['endpoint dynamodb-target DynamoDbSettings.ServiceAccessRoleArn'] },
  {
    name: 'pg-to-mysql', task: 'guide-mysql-target-task.json', endpoints: 'guide-mysql-target-endpoints.json', variables: ['DMS_PG_SOURCE_PASSWORD', 'DMS_MYSQL_TARGET_PASSWORD'],
    notCarried: ['endpoint mysql-target ExtraConnectionAttributes.parallelLoadThreads', 'endpoint mysql-target ExtraConnectionAttributes.maxFileSize', 'endpoint mysql-target ExtraConnectionAttributes.initstmt'],
  },
];

/** Every leaf of the task and of the endpoints it uses, as "input path" (settings and mappings parsed from their JSON strings). */
function inputLeaves(task: Record<string, unknown>, endpoints: Record<string, unknown>[]): string[] {
  const out: string[] = [];
  const label = `task ${String(task.ReplicationTaskIdentifier)}`;
  for (const [k, v] of Object.entries(task)) {
    if (k === 'TableMappings') { out.push(`${label} TableMappings`); continue; }
    const value = k === 'ReplicationTaskSettings' ? JSON.parse(v as string) : v;
    for (const l of leaves(value, k)) out.push(`${label} ${l.path}`);
  }
  for (const e of endpoints.filter((x) => x.EndpointArn === task.SourceEndpointArn || x.EndpointArn === task.TargetEndpointArn)) {
    for (const [k, v] of Object.entries(e)) {
      if (k === 'ExtraConnectionAttributes') for (const [ek] of parseExtraConnectionAttributes(v as string)) out.push(`endpoint ${String(e.EndpointIdentifier)} ${k}.${ek}`);
      else for (const l of leaves(v, k)) out.push(`endpoint ${String(e.EndpointIdentifier)} ${l.path}`);
    }
  }
  return out;
}

for (const c of CASES) {
  test(`import-dms ${c.task}: validates, covers every input leaf, and lists exactly what is not carried over`, () => {
    const tasksDoc = load(c.task) as Record<string, unknown>;
    const endpointsDoc = load(c.endpoints) as { Endpoints: Record<string, unknown>[] };
    const { document, report } = importDmsTask({ tasks: tasksDoc, endpoints: endpointsDoc });
    assert.equal(report.task, c.name);
    assert.deepEqual(report.validation, []);
    assert.deepEqual(report.variables, c.variables);
    const notCarried = report.entries.filter((e) => e.status === 'not-carried').map((e) => `${e.input} ${e.path}`);
    assert.deepEqual(notCarried, c.notCarried);
    for (const e of report.entries.filter((x) => x.status === 'not-carried')) assert.ok(e.reason.length > 10, `${e.path} has a reason`);
    // Nothing dropped silently: every leaf of the input has an entry at it or at a setting above it.
    const task = (Array.isArray(tasksDoc.ReplicationTasks) ? tasksDoc.ReplicationTasks[0] : tasksDoc.ReplicationTask) as Record<string, unknown>;
    const reported = report.entries.map((e) => `${e.input} ${e.path}`);
    for (const leaf of inputLeaves(task, endpointsDoc.Endpoints)) {
      assert.ok(reported.some((r) => leaf === r || leaf.startsWith(`${r}.`) || leaf.startsWith(`${r}[`) || r === leaf.replace(/^task (\S+) ReplicationTaskSettings\./, 'task $1 ReplicationTaskSettings.')), `no report entry for ${leaf}`);
    }
    // Passwords are references only.
    assert.match(JSON.stringify(document), /\$\{env:DMS_[A-Z0-9_]+_PASSWORD\}/);
  });
}

test('import-dms: the written files, read back as YAML, hold exactly the mapped settings and validate', () => {
  const out = mkdtempSync(join(tmpdir(), 'ferry-s5b-import-'));
  const run = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/ferry.js'), 'import-dms', ...args], { encoding: 'utf8', cwd: out });
  const s3 = run(['--task', join(dir, 'guide-s3-task.json'), '--endpoints', join(dir, 'guide-s3-endpoints.json'), '--out', join(out, 's3.yaml'), '--json']);
  assert.equal(s3.status, 3, s3.stderr);
  const report = JSON.parse(s3.stdout) as { ok: boolean; taskFile: string };
  assert.equal(report.ok, false);
  const doc = parse(readFileSync(join(out, 's3.yaml'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(doc.targets, [{ type: 'parquet', name: 's3-target', location: 's3://my-data-lake/dms/shop', compression: 'gzip', partitioning: { by: 'commit-date' }, timestampColumn: 'dms_ts' }]);
  assert.deepEqual(doc.source, { engine: 'postgres', user: 'dms', host: 'pg.example.com', port: 5432, database: 'shop', slotName: 'dms_slot', password: '${env:DMS_PG_SOURCE_PASSWORD}' });
  const task = parseTask(doc, { env: { DMS_PG_SOURCE_PASSWORD: 'x' } });
  assert.deepEqual(targetOptionProblems(task), []);
  assert.equal(task.settings.heartbeatIntervalMs, 300000);
  assert.deepEqual([task.settings.lob.mode, task.settings.lob.maxSizeKb], ['limited', 64]);
  assert.deepEqual(task.settings.snapshot, { chunkSize: 50000, parallelism: 16, readAheadBytes: 1048576 }); // readAheadBytes: its default
  assert.equal(task.settings.logLevel, 'debug');

  const my = run(['--task', join(dir, 'guide-mysql-target-task.json'), '--endpoints', join(dir, 'guide-mysql-target-endpoints.json'), '--out', join(out, 'my.yaml')]);
  assert.equal(my.status, 3, my.stderr);
  assert.match(my.stdout, /not carried over \(3\):/);
  assert.match(my.stdout, /set these environment variables before running the task: DMS_PG_SOURCE_PASSWORD, DMS_MYSQL_TARGET_PASSWORD/);
  const myTask = parseTask(parse(readFileSync(join(out, 'my.yaml'), 'utf8')), { env: { DMS_PG_SOURCE_PASSWORD: 'x', DMS_MYSQL_TARGET_PASSWORD: 'y' } });
  const t0 = myTask.targets[0] as Record<string, unknown>;
  assert.deepEqual([t0.type, t0.database, t0.applyMode, t0.tablePreparation, t0.maxBatchDelayMs, t0.maxBatchRecords, (t0.ssl as { mode: string }).mode], ['mysql', 'app', 'batch-optimized', 'truncate-before-load', 30000, 5000, 'verify-full']);
  assert.equal(myTask.settings.validation.enabled, true);
  assert.equal(myTask.settings.cdcStopPosition, 'server_time:2018-02-09T12:12:12');
  assert.equal(myTask.settings.batch.maxDelayMs, 1000);

  const settingsFile = join(out, 'settings.json');
  writeFileSync(settingsFile, JSON.stringify({ FullLoadSettings: { TargetTablePrepMode: 'DROP_AND_CREATE' }, ErrorBehavior: { ApplyErrorUpdatePolicy: 'UPDATE_RECORD' } }));
  const all = run(['--task', join(dir, 'cli-moveit2-task.json'), '--endpoints', join(dir, 'cli-moveit2-endpoints.json'), '--task-settings', settingsFile, '--out', join(out, 'm.yaml'), '--json']);
  assert.equal(all.status, 0, all.stderr);
  assert.equal((JSON.parse(all.stdout) as { ok: boolean }).ok, true);
  const m = parse(readFileSync(join(out, 'm.yaml'), 'utf8')) as { settings: unknown; targets: unknown };
  assert.deepEqual(m.settings, { dms: { FullLoadSettings: { TargetTablePrepMode: 'DROP_AND_CREATE' }, ErrorBehavior: { ApplyErrorUpdatePolicy: 'UPDATE_RECORD' } } });
  assert.deepEqual(m.targets, [{ type: 'postgres', name: 'pg-target', user: 'postgres', host: 'mypg.cx1llnox7iyx.us-east-1.rds.amazonaws.com', port: 5432, database: 'prodrep', ssl: { mode: 'require' }, password: '${env:DMS_PG_TARGET_PASSWORD}' }]);
  const usage = run(['--task', join(dir, 'cli-moveit2-task.json'), '--json']);
  assert.equal(usage.status, 2);
  assert.equal((JSON.parse(usage.stdout) as { error: { code: string } }).error.code, 'FERRY_USAGE');
});

test('import-dms: a Kinesis target and a CDC start position', () => {
  const { document } = importDmsTask({ tasks: load('guide-kinesis-task.json'), endpoints: load('guide-kinesis-endpoints.json') });
  assert.deepEqual(document.targets, [{ type: 'kinesis', name: 'kinesis-target', stream: 'arn:aws:kinesis:us-east-1:333333333333:stream/dms-kinesis-target-doc', format: 'json', client: { region: 'us-east-1' } }]);
  assert.deepEqual(document.settings, { dms: { TargetMetadata: { ParallelApplyThreads: 0, ParallelApplyBufferSize: 0, ParallelApplyQueuesPerThread: 0 }, FullLoadSettings: { TargetTablePrepMode: 'DO_NOTHING' }, BeforeImageSettings: { EnableBeforeImage: true, FieldName: 'before-image' } }, cdcStartPosition: 'mysql-bin-changelog.000024:373' });
  const task = parseTask(structuredClone(document), { env: { DMS_MYSQL_SOURCE_PASSWORD: 'x' } });
  assert.equal((task.targets[0] as Record<string, unknown>).beforeImage, true);
  assert.equal(task.settings.cdcStartPosition, 'mysql-bin-changelog.000024:373');
});

test('import-dms: Kafka and Redshift targets, from separate table-mapping files', () => {
  const tableMappings = load('guide-task-settings-table-mappings.json');
  const kafka = importDmsTask({ endpoints: load('guide-kafka-endpoints.json'), tableMappings, migrationType: 'cdc', name: 'to-kafka' });
  assert.deepEqual(kafka.document.targets, [{ type: 'kafka', name: 'kafka-target', brokers: ['ec2-12-345-678-901.compute-1.amazonaws.com:2345', 'ec2-12-345-678-902.compute-1.amazonaws.com:2345'], topic: 'kafka-default-topic', maxMessageBytes: 1000000, tls: true, sasl: { mechanism: 'scram-sha-512', username: 'dms-user', password: '${env:DMS_KAFKA_TARGET_PASSWORD}' } }]);
  assert.deepEqual(kafka.report.entries.filter((e) => e.status === 'not-carried').map((e) => e.path), ['KafkaSettings.MessageFormat', 'KafkaSettings.IncludeNullAndEmpty']);
  assert.deepEqual([kafka.report.validation, kafka.report.variables], [[], ['DMS_MYSQL_SOURCE_PASSWORD', 'DMS_KAFKA_TARGET_PASSWORD']]);
  const rs = importDmsTask({ endpoints: load('guide-redshift-endpoints.json'), tableMappings, migrationType: 'full-load-and-cdc', name: 'to-redshift' });
  assert.deepEqual(rs.document.targets, [{ type: 'redshift', name: 'redshift-target', connection: { user: 'dms_user', host: 'examplecluster.abc123.us-east-1.redshift.amazonaws.com', port: 5439, database: 'dev', ssl: false, password: '${env:DMS_REDSHIFT_TARGET_PASSWORD}' }, copyAuth: { iamRole: 'arn:aws:iam::123456789012:role/dms-redshift-role' }, staging: { location: 's3://my-dms-staging/redshift' } }]);
  assert.deepEqual(rs.report.entries.filter((e) => e.status === 'not-carried').map((e) => e.path), ['RedshiftSettings.AcceptAnyDate', 'RedshiftSettings.TruncateColumns', 'RedshiftSettings.EmptyAsNull']);
  assert.deepEqual(rs.report.validation, []);
});

test('import-dms: passwords given in the input never reach the task file or the report', () => {
  const endpoints = load('guide-kafka-endpoints.json') as { Endpoints: Record<string, unknown>[] };
  endpoints.Endpoints[0]!.Password = 'hunter2-source';
  (endpoints.Endpoints[1]!.KafkaSettings as Record<string, unknown>).SaslPassword = 'hunter2-sasl';
  (endpoints.Endpoints[1]!.KafkaSettings as Record<string, unknown>).SslClientKeyPassword = 'hunter2-key';
  const { document, report } = importDmsTask({ endpoints, tableMappings: load('guide-task-settings-table-mappings.json'), migrationType: 'cdc', name: 'secrets' });
  const text = JSON.stringify({ document, report });
  assert.doesNotMatch(text, /hunter2/);
  assert.deepEqual(report.entries.filter((e) => /Password/.test(e.path)).map((e) => [e.path, e.value, e.status, e.ferry ?? '']), [
    ['Password', '(hidden)', 'carried', 'source.password'],
    ['KafkaSettings.SaslPassword', '(hidden)', 'carried', 'targets[0].sasl.password'],
    ['KafkaSettings.SslClientKeyPassword', '(hidden)', 'not-carried', ''],
  ]);
});

test('import-dms: the DMS User Guide task-settings example with separate table-mapping and settings files', () => {
  const { report } = importDmsTask({ endpoints: load('guide-mysql-target-endpoints.json'), taskSettings: load('guide-task-settings-example.json'), tableMappings: load('guide-task-settings-table-mappings.json'), migrationType: 'full-load-and-cdc', name: 'settings-example' });
  assert.deepEqual(report.validation, []);
  assert.deepEqual(report.entries.filter((e) => e.status === 'not-carried' && e.input === 'task settings').map((e) => e.path), [
    'TargetMetadata.ParallelLoadQueuesPerThread', 'TargetMetadata.ParallelApplyBufferSize', 'TargetMetadata.ParallelApplyQueuesPerThread',
    'TTSettings.EnableTT', 'TTSettings.TTS3Settings', 'TTSettings.TTRecordSettings', 'Logging.EnableLogging', 'StreamBufferSettings.StreamBufferCount',
    'StreamBufferSettings.StreamBufferSizeInMB', 'ChangeProcessingTuning.BatchApplyTimeoutMin', 'ChangeProcessingTuning.BatchApplyMemoryLimit',
    'ChangeProcessingTuning.BatchSplitSize', 'ChangeProcessingTuning.MinTransactionSize', 'ChangeProcessingTuning.MemoryLimitTotal', 'ChangeProcessingTuning.MemoryKeepTime',
    'ChangeProcessingTuning.StatementCacheSize', 'ChangeProcessingDdlHandlingPolicy.HandleSourceTableDropped', 'LoopbackPreventionSettings.EnableLoopbackPrevention',
    'LoopbackPreventionSettings.SourceSchema', 'LoopbackPreventionSettings.TargetSchema', 'CharacterSetSettings.CharacterReplacements', 'CharacterSetSettings.CharacterSetSupport',
    'BeforeImageSettings.FieldName', 'BeforeImageSettings.ColumnFilter', 'ErrorBehavior.DataErrorEscalationPolicy', 'ErrorBehavior.DataErrorEscalationCount',
    'ErrorBehavior.TableErrorPolicy', 'ErrorBehavior.TableErrorEscalationCount', 'ErrorBehavior.RecoverableErrorCount', 'ErrorBehavior.RecoverableErrorInterval',
    'ErrorBehavior.RecoverableErrorThrottling', 'ErrorBehavior.RecoverableErrorThrottlingMax', 'ErrorBehavior.ApplyErrorInsertPolicy', 'ErrorBehavior.ApplyErrorUpdatePolicy',
    'ValidationSettings.RecordFailureDelayInMinutes', 'ValidationSettings.RecordSuspendDelayInMinutes', 'ValidationSettings.TableFailureMaxCount', 'ValidationSettings.RecordFailureDelayLimitInMinutes',
  ]);
  const settingsLeaves = leaves(load('guide-task-settings-example.json'), '').map((l) => l.path);
  const paths = report.entries.filter((e) => e.input === 'task settings').map((e) => e.path);
  for (const l of settingsLeaves) assert.ok(paths.some((p) => l === p || l.startsWith(`${p}.`) || l.startsWith(`${p}[`)), `no entry for ${l}`);
  assert.deepEqual(validateImported({}, []).map((p) => p.path).slice(0, 1), ['name']);
});
