/** `settings.dms` in a task file: DMS task settings applied with DMS's meaning, or rejected at their path with the reason. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTask, ConfigError } from '../../../src/task-file/load-task.ts';

const base = {
  name: 's5b-dms', source: { engine: 'mysql', host: '127.0.0.1', user: 'u', password: 'p' }, migrationType: 'full-load-and-cdc',
  tableMappings: { rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': '1', 'object-locator': { 'schema-name': 's5b', 'table-name': '%' }, 'rule-action': 'include' }] },
  targets: [{ type: 'postgres', host: '127.0.0.1', user: 'u', password: 'p', database: 'd' }, { type: 'mysql', host: '127.0.0.1', user: 'u', password: 'p' }],
};
const problems = (dms: unknown, extra: Record<string, unknown> = {}) => {
  try {
    parseTask({ ...base, ...extra, settings: { ...(extra.settings as object | undefined), dms } });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
};

test('settings.dms: supported settings take effect on the Ferry settings they map to', () => {
  const t = parseTask({ ...base, settings: { dms: {
    TargetMetadata: { SupportLobs: true, FullLobMode: false, LimitedSizeLobMode: true, LobMaxSize: 100, BatchApplyEnabled: false, TargetSchema: 'app' },
    FullLoadSettings: { TargetTablePrepMode: 'DROP_AND_CREATE', MaxFullLoadSubTasks: 12, CommitRate: 20000, StopTaskCachedChangesApplied: false },
    ErrorBehavior: { DataErrorPolicy: 'LOG_ERROR', TableErrorPolicy: 'STOP_TASK', ApplyErrorInsertPolicy: 'INSERT_RECORD', ApplyErrorUpdatePolicy: 'UPDATE_RECORD', ApplyErrorDeletePolicy: 'IGNORE_RECORD', DataErrorEscalationCount: 0 },
    ValidationSettings: { EnableValidation: true, ThreadCount: 3, PartitionSize: 5000, FailureMaxCount: 77, ValidationMode: 'ROW_LEVEL' },
    Logging: { EnableLogging: true, LogComponents: [{ Id: 'TARGET_APPLY', Severity: 'LOGGER_SEVERITY_WARNING' }] },
    ChangeProcessingTuning: { CommitTimeout: 2 },
    CharacterSetSettings: null,
  } } });
  assert.deepEqual([t.settings.lob.mode, t.settings.lob.maxSizeKb], ['limited', 100]);
  assert.deepEqual(t.settings.snapshot, { chunkSize: 20000, parallelism: 12, readAheadBytes: 1048576 }); // readAheadBytes: its default
  assert.deepEqual(t.targets.map((x) => [(x as Record<string, unknown>).applyMode, (x as Record<string, unknown>).tablePreparation]), [['transactional', 'drop-and-create'], ['transactional', 'drop-and-create']]);
  assert.deepEqual([(t.targets[0] as Record<string, unknown>).schema, (t.targets[1] as Record<string, unknown>).database], ['app', 'app']);
  assert.deepEqual([t.settings.validation.enabled, t.settings.validation.maxConcurrency, t.settings.validation.chunkRows, t.settings.validation.failureMaxCount], [true, 3, 5000, 77]);
  assert.equal(t.settings.logLevel, 'warn');
  assert.equal(t.settings.batch.maxDelayMs, 2000);
});

test('settings.dms: unknown, unsupported and conflicting settings are rejected at their path with the reason', () => {
  assert.deepEqual(problems({
    TargetMetadata: { SupportLobs: false, Bogus: 1 },
    FullLoadSettings: { StopTaskCachedChangesNotApplied: true, CommitRate: 'fast' },
    ErrorBehavior: { TableErrorPolicy: 'SUSPEND_TABLE', DataErrorEscalationCount: 5 },
    ValidationSettings: { ValidationOnly: true },
  }), [
    'settings.dms.TargetMetadata.SupportLobs: not supported by Ferry: Ferry always carries LOB columns; drop them with a table-mapping "remove-column" transformation rule',
    'settings.dms.TargetMetadata.Bogus: not a DMS task setting Ferry knows (docs/from-dms.md lists those it does)',
    'settings.dms.FullLoadSettings.StopTaskCachedChangesNotApplied: not supported by Ferry: Ferry does not stop a full-load-and-cdc task after its full load; use migrationType full-load, or settings.cdcStopPosition to stop at a chosen point',
    'settings.dms.FullLoadSettings.CommitRate: not supported by Ferry: expected an integer, found "fast"',
    'settings.dms.ErrorBehavior.TableErrorPolicy: not supported by Ferry: Ferry never suspends a table: a record it cannot write is dead-lettered (DMS LOG_ERROR), any other error stops the task (DMS STOP_TASK)',
    'settings.dms.ErrorBehavior.DataErrorEscalationCount: not supported by Ferry: Ferry never suspends a table: a record it cannot write is dead-lettered (DMS LOG_ERROR), any other error stops the task (DMS STOP_TASK)',
    'settings.dms.ValidationSettings.ValidationOnly: not supported by Ferry: run `ferry validate-data <task-file>` to validate without moving data',
  ]);
  assert.deepEqual(problems({ TargetMetadata: { LimitedSizeLobMode: true } }, { settings: { lob: { mode: 'full' } } }), [
    'settings.dms.TargetMetadata.LimitedSizeLobMode: sets settings.lob.mode to "limited", but the task gives settings.lob.mode: "full"; keep one of the two',
  ]);
  assert.deepEqual(problems({ FullLoadSettings: { TargetTablePrepMode: 'TRUNCATE_BEFORE_LOAD' } }, { targets: [{ type: 'kinesis', stream: 's' }] }), [
    'settings.dms.FullLoadSettings.TargetTablePrepMode: not supported by Ferry: targets[0] (kinesis) does not drop or truncate what it writes to; only postgres and mysql targets prepare tables: use DO_NOTHING, or give this target a task of its own',
  ]);
  assert.deepEqual(problems(['x']), ['settings.dms: expected a mapping (key: value), found a list of 1 item']);
});
