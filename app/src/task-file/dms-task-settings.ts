/**
 * The one declared mapping from AWS DMS task settings onto Ferry's own settings (docs/from-dms.md). Both the loader
 * (`settings.dms` in a task file: dms-settings-apply.ts) and `ferry import-dms` read this table, and the guide's
 * table is checked against it, so what Ferry claims to carry over is what it does.
 *
 * Each known DMS setting (by its path in the task-settings document, e.g. `FullLoadSettings.CommitRate`) has a
 * rule that judges a value:
 *  - `set`: carried over with DMS's meaning, as these Ferry settings (paths in the task document);
 *  - `same`: accepted, because Ferry behaves so anyway (the note says why); nothing is set;
 *  - `refused`: not carried over, with the reason (the loader rejects it; the importer reports it).
 * A path not in the table is unknown and refused as such. `null` for a known setting means "not set" (DMS prints
 * sections it does not use as null) and is accepted.
 */

/** Where a carried setting goes: a path in the task document (`targets` entries are picked by index). */
export type TaskPath = readonly (string | number)[];

export type Judgement =
  | { readonly kind: 'set'; readonly sets: readonly { readonly at: TaskPath; readonly value: unknown }[]; readonly note?: string }
  | { readonly kind: 'same'; readonly note: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** What a rule may look at besides the value: the whole DMS document and the task it applies to. */
export interface JudgeContext {
  /** The DMS task-settings document. */
  readonly dms: Readonly<Record<string, unknown>>;
  /** The task's targets' types, in order. */
  readonly targetTypes: readonly string[];
  readonly migrationType: string | undefined;
  /** Whether the task sets settings.lob.claimCheck (inline LOB mode needs it). */
  readonly lobClaimCheck: boolean;
}

export interface DmsSettingRule {
  /** The setting's path in the DMS document, sections and key joined by dots. */
  readonly path: string;
  /** The Ferry setting it maps to, for the guide ('—' when none). */
  readonly ferry: string;
  judge(value: unknown, ctx: JudgeContext): Judgement;
}

const same = (note: string): Judgement => ({ kind: 'same', note });
const refused = (reason: string): Judgement => ({ kind: 'refused', reason });
const set = (sets: { at: TaskPath; value: unknown }[], note?: string): Judgement => ({ kind: 'set', sets, ...(note ? { note } : {}) });

const DB_TARGETS = ['postgres', 'mysql'];
const dbTargets = (ctx: JudgeContext) => ctx.targetTypes.flatMap((t, i) => (DB_TARGETS.includes(t) ? [i] : []));
const sub = (ctx: JudgeContext, section: string, key: string): unknown => {
  const s = ctx.dms[section];
  return s !== null && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, unknown>)[key] : undefined;
};

/** Checks a value's type; returns a refusal naming what was expected, or null. */
function typeProblem(value: unknown, expected: 'boolean' | 'integer' | 'string'): Judgement | null {
  const ok = expected === 'integer' ? Number.isInteger(value) : typeof value === expected;
  return ok ? null : refused(`expected ${expected === 'boolean' ? 'true or false' : expected === 'integer' ? 'an integer' : 'a string'}, found ${JSON.stringify(value)}`);
}

/** A boolean setting Ferry matches when it has `ferryValue`; the other value is refused with `otherwise`. */
function boolSame(path: string, ferryValue: boolean, note: string, otherwise: string): DmsSettingRule {
  return { path, ferry: '—', judge: (v) => typeProblem(v, 'boolean') ?? (v === ferryValue ? same(note) : refused(otherwise)) };
}

/** A setting Ferry matches when its value is one of `accepted`; any other is refused. */
function valueSame(path: string, accepted: readonly unknown[], note: string, otherwise: string): DmsSettingRule {
  return { path, ferry: '—', judge: (v) => (accepted.includes(v) ? same(note) : refused(otherwise)) };
}

/** A setting with no Ferry counterpart, whatever its value. */
function none(path: string, reason: string): DmsSettingRule {
  return { path, ferry: '—', judge: () => refused(reason) };
}

/** An integer setting that maps onto one Ferry setting within [min, max], scaled by `scale`. */
function intTo(path: string, ferry: TaskPath, min: number, max: number, scale = 1, note?: string): DmsSettingRule {
  return {
    path, ferry: ferry.join('.'),
    judge: (v) => {
      const t = typeProblem(v, 'integer');
      if (t) return t;
      const n = (v as number) * scale;
      if (n < min || n > max) return refused(`${String(v)} is outside what Ferry's ${ferry.join('.')} takes (${min / scale}–${max / scale})`);
      return set([{ at: ferry, value: n }], note);
    },
  };
}

const LOB_MODE_NOTE = 'the LOB mode comes from FullLobMode / LimitedSizeLobMode';

function lobMode(ctx: JudgeContext): 'full' | 'limited' | 'both' | 'neither' {
  const full = sub(ctx, 'TargetMetadata', 'FullLobMode') === true;
  const limited = sub(ctx, 'TargetMetadata', 'LimitedSizeLobMode') === true;
  return full && limited ? 'both' : full ? 'full' : limited ? 'limited' : 'neither';
}

const SEVERITY: Readonly<Record<string, string>> = {
  LOGGER_SEVERITY_ERROR: 'error', LOGGER_SEVERITY_WARNING: 'warn', LOGGER_SEVERITY_DEFAULT: 'info', LOGGER_SEVERITY_INFO: 'info',
  LOGGER_SEVERITY_DEBUG: 'debug', LOGGER_SEVERITY_DETAILED_DEBUG: 'trace',
};
const LEVEL_ORDER = ['trace', 'debug', 'info', 'warn', 'error'];

const NO_SUSPENSION = 'Ferry never suspends a table: a record it cannot write is dead-lettered (DMS LOG_ERROR), any other error stops the task (DMS STOP_TASK)';
const CONTROL_TABLES = 'Ferry writes no awsdms_* control tables; task and table statistics are in `ferry tasks stats`, the tasks API and /metrics';
const TUNING = (what: string) => `DMS engine tuning with no Ferry counterpart; Ferry's ${what}`;

export const DMS_SETTING_RULES: readonly DmsSettingRule[] = [
  // --- TargetMetadata
  {
    path: 'TargetMetadata.TargetSchema', ferry: 'targets[postgres].schema, targets[mysql].database, targets[redshift].targetSchema',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'string');
      if (t) return t;
      if (v === '') return same('empty: each table keeps its source schema, as Ferry does by default');
      const key: Readonly<Record<string, string>> = { postgres: 'schema', mysql: 'database', redshift: 'targetSchema' };
      const other = ctx.targetTypes.findIndex((x) => key[x] === undefined);
      if (other >= 0) return refused(`targets[${other}] (${ctx.targetTypes[other]}) has no target schema; rename the schema with a table-mapping transformation rule (rule-action "rename", rule-target "schema") instead`);
      return set(ctx.targetTypes.map((x, i) => ({ at: ['targets', i, key[x]!], value: v })));
    },
  },
  boolSame('TargetMetadata.SupportLobs', true, 'Ferry carries LOB columns', 'Ferry always carries LOB columns; drop them with a table-mapping "remove-column" transformation rule'),
  {
    path: 'TargetMetadata.FullLobMode', ferry: 'settings.lob.mode',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'boolean');
      if (t) return t;
      if (v === false) return same(LOB_MODE_NOTE);
      if (lobMode(ctx) === 'both') return refused('FullLobMode and LimitedSizeLobMode are both true; DMS takes one LOB mode: set the other to false');
      const inline = sub(ctx, 'TargetMetadata', 'InlineLobMaxSize');
      if (typeof inline === 'number' && inline > 0 && ctx.lobClaimCheck) return set([{ at: ['settings', 'lob', 'mode'], value: 'inline' }], 'with InlineLobMaxSize > 0 and settings.lob.claimCheck: inline');
      return set([{ at: ['settings', 'lob', 'mode'], value: 'full' }]);
    },
  },
  {
    path: 'TargetMetadata.LimitedSizeLobMode', ferry: 'settings.lob.mode',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'boolean');
      if (t) return t;
      if (v === false) return same(LOB_MODE_NOTE);
      if (lobMode(ctx) === 'both') return refused('FullLobMode and LimitedSizeLobMode are both true; DMS takes one LOB mode: set the other to false');
      return set([{ at: ['settings', 'lob', 'mode'], value: 'limited' }]);
    },
  },
  {
    path: 'TargetMetadata.LobMaxSize', ferry: 'settings.lob.maxSizeKb',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'integer');
      if (t) return t;
      if (lobMode(ctx) !== 'limited') return same('used only in limited LOB mode, which this document does not choose');
      if ((v as number) < 1 || (v as number) > 1048576) return refused(`${String(v)} is outside settings.lob.maxSizeKb's range (1–1048576)`);
      return set([{ at: ['settings', 'lob', 'maxSizeKb'], value: v }]);
    },
  },
  {
    path: 'TargetMetadata.InlineLobMaxSize', ferry: 'settings.lob.inlineThresholdKb',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'integer');
      if (t) return t;
      if (v === 0) return same('0: no inline threshold (DMS default)');
      if (lobMode(ctx) !== 'full') return same('used only in full LOB mode, which this document does not choose');
      if (!ctx.lobClaimCheck) return same('without settings.lob.claimCheck Ferry keeps full mode: DMS inline mode also delivers every value whole (docs/lob.md)');
      if ((v as number) > 1048576) return refused(`${String(v)} is outside settings.lob.inlineThresholdKb's range (1–1048576)`);
      return set([{ at: ['settings', 'lob', 'inlineThresholdKb'], value: v }]);
    },
  },
  { path: 'TargetMetadata.LobChunkSize', ferry: '—', judge: (v) => typeProblem(v, 'integer') ?? same('Ferry\'s sources read LOB values whole, never by chunked lookups') },
  valueSame('TargetMetadata.LoadMaxFileSize', [0], '0: DMS default', 'Ferry\'s database sinks stream full loads (COPY, LOAD DATA LOCAL) without staging files on disk'),
  ...['ParallelLoadThreads', 'ParallelLoadBufferSize', 'ParallelLoadQueuesPerThread', 'ParallelApplyThreads', 'ParallelApplyBufferSize', 'ParallelApplyQueuesPerThread']
    .map((k) => valueSame(`TargetMetadata.${k}`, [0], '0: DMS default', TUNING('sinks set their own concurrency (kinesis parallelCalls, dynamodb concurrency, consumers per target)'))),
  {
    path: 'TargetMetadata.BatchApplyEnabled', ferry: 'targets[postgres|mysql].applyMode',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'boolean');
      if (t) return t;
      const dbs = dbTargets(ctx);
      if (dbs.length === 0) return same('applies to database targets, and this task has none');
      return set(dbs.map((i) => ({ at: ['targets', i, 'applyMode'], value: v ? 'batch-optimized' : 'transactional' })));
    },
  },
  boolSame('TargetMetadata.TaskRecoveryTableEnabled', false, 'Ferry keeps each database target\'s applied position in its _ferry_sink_offsets table anyway', 'Ferry writes no awsdms_txn_state table; each database target keeps its applied position in _ferry_sink_offsets'),

  // --- FullLoadSettings
  {
    path: 'FullLoadSettings.TargetTablePrepMode', ferry: 'targets[postgres|mysql].tablePreparation',
    judge: (v, ctx) => {
      const map: Readonly<Record<string, string>> = { DO_NOTHING: 'do-nothing', DROP_AND_CREATE: 'drop-and-create', TRUNCATE_BEFORE_LOAD: 'truncate-before-load' };
      if (typeof v !== 'string' || map[v] === undefined) return refused(`expected DO_NOTHING, DROP_AND_CREATE or TRUNCATE_BEFORE_LOAD, found ${JSON.stringify(v)}`);
      const other = ctx.targetTypes.findIndex((x) => !DB_TARGETS.includes(x));
      if (v !== 'DO_NOTHING' && other >= 0) return refused(`targets[${other}] (${ctx.targetTypes[other]}) does not drop or truncate what it writes to; only postgres and mysql targets prepare tables: use DO_NOTHING, or give this target a task of its own`);
      const dbs = dbTargets(ctx);
      if (dbs.length === 0) return same('DO_NOTHING: Ferry\'s non-database targets never drop or truncate');
      return set(dbs.map((i) => ({ at: ['targets', i, 'tablePreparation'], value: map[v] })));
    },
  },
  boolSame('FullLoadSettings.CreatePkAfterFullLoad', false, 'Ferry creates the primary key with the table', 'Ferry creates the primary key with the table (secondary indexes after the full load: targets[].indexes after-full-load)'),
  ...(['StopTaskCachedChangesApplied', 'StopTaskCachedChangesNotApplied'] as const).map((k): DmsSettingRule => ({
    path: `FullLoadSettings.${k}`, ferry: '—',
    judge: (v, ctx) => typeProblem(v, 'boolean') ?? (v === false ? same('false: the task goes on to stream changes (DMS default)')
      : ctx.migrationType !== 'full-load-and-cdc' ? same(`applies to full-load-and-cdc tasks only (this one is ${ctx.migrationType ?? 'unknown'})`)
        : refused('Ferry does not stop a full-load-and-cdc task after its full load; use migrationType full-load, or settings.cdcStopPosition to stop at a chosen point')),
  })),
  intTo('FullLoadSettings.MaxFullLoadSubTasks', ['settings', 'snapshot', 'parallelism'], 1, 64, 1, 'Ferry\'s snapshot.parallelism bounds the primary-key chunks read at once, over all tables of the full load'),
  intTo('FullLoadSettings.CommitRate', ['settings', 'snapshot', 'chunkSize'], 1, 10000000, 1, 'rows per primary-key chunk of the full load'),
  { path: 'FullLoadSettings.TransactionConsistencyTimeout', ferry: '—', judge: (v) => typeProblem(v, 'integer') ?? same('Ferry\'s full load reads a consistent snapshot and never waits for open transactions') },

  // --- Logging
  boolSame('Logging.EnableLogging', true, 'Ferry always logs (JSON lines on stderr)', 'Ferry always logs; raise settings.logLevel to error to log less'),
  { path: 'Logging.EnableLogContext', ferry: '—', judge: (v) => typeProblem(v, 'boolean') ?? same('Ferry\'s JSON log lines carry their context (task, table, target) anyway') },
  {
    path: 'Logging.LogComponents', ferry: 'settings.logLevel',
    judge: (v) => {
      if (!Array.isArray(v)) return refused('expected a list of {Id, Severity}');
      const levels: string[] = [];
      for (const c of v) {
        const sev = c !== null && typeof c === 'object' ? (c as Record<string, unknown>).Severity : undefined;
        const level = typeof sev === 'string' ? SEVERITY[sev] : undefined;
        if (level === undefined) return refused(`unknown severity ${JSON.stringify(sev)} (expected ${Object.keys(SEVERITY).join(', ')})`);
        levels.push(level);
      }
      if (levels.length === 0) return same('no components: DMS default severity, Ferry\'s default level info');
      const most = LEVEL_ORDER.find((l) => levels.includes(l))!;
      return set([{ at: ['settings', 'logLevel'], value: most }], levels.every((l) => l === most) ? undefined : 'Ferry has one level for all components: the most verbose one is taken');
    },
  },
  { path: 'Logging.CloudWatchLogGroup', ferry: '—', judge: () => refused('Ferry writes JSON lines to stderr; ship them to CloudWatch with your log agent') },
  { path: 'Logging.CloudWatchLogStream', ferry: '—', judge: () => refused('Ferry writes JSON lines to stderr; ship them to CloudWatch with your log agent') },

  // --- ControlTablesSettings
  ...['HistoryTableEnabled', 'SuspendedTablesTableEnabled', 'StatusTableEnabled', 'FullLoadExceptionTableEnabled', 'CommitPositionTableEnabled']
    .map((k) => boolSame(`ControlTablesSettings.${k}`, false, 'no control table (DMS default)', CONTROL_TABLES)),
  valueSame('ControlTablesSettings.ControlSchema', [''], 'empty: no control tables', CONTROL_TABLES),
  ...['HistoryTimeslotInMinutes', 'historyTimeslotInMinutes']
    .map((k): DmsSettingRule => ({ path: `ControlTablesSettings.${k}`, ferry: '—', judge: (_v, ctx) => (sub(ctx, 'ControlTablesSettings', 'HistoryTableEnabled') === true ? refused(CONTROL_TABLES) : same('used only with HistoryTableEnabled')) })),

  // --- StreamBufferSettings, ChangeProcessingTuning
  ...['StreamBufferCount', 'StreamBufferSizeInMB', 'CtrlStreamBufferSizeInMB'].map((k) => none(`StreamBufferSettings.${k}`, TUNING('memory is bounded by settings.batch.maxEvents and each target\'s maxBatchRecords/maxBatchBytes'))),
  { path: 'ChangeProcessingTuning.BatchApplyPreserveTransaction', ferry: '—', judge: (v) => typeProblem(v, 'boolean') ?? same('DMS applies it to Oracle targets only; a Ferry batch-optimized batch is one target transaction') },
  {
    path: 'ChangeProcessingTuning.BatchApplyTimeoutMax', ferry: 'targets[postgres|mysql].maxBatchDelayMs',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'integer');
      if (t) return t;
      if (sub(ctx, 'TargetMetadata', 'BatchApplyEnabled') !== true || dbTargets(ctx).length === 0) return same('used only in batch apply mode to a database target');
      if ((v as number) < 0 || (v as number) > 3600) return refused(`${String(v)} is outside maxBatchDelayMs's range (0–3600 s)`);
      return set(dbTargets(ctx).map((i) => ({ at: ['targets', i, 'maxBatchDelayMs'], value: (v as number) * 1000 })), 'the longest a change waits for its batch');
    },
  },
  {
    path: 'ChangeProcessingTuning.BatchSplitSize', ferry: 'targets[postgres|mysql].maxBatchRecords',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'integer');
      if (t) return t;
      if (v === 0) return refused('0 (no limit): Ferry always bounds a batch, by each target\'s maxBatchRecords and maxBatchBytes');
      if (sub(ctx, 'TargetMetadata', 'BatchApplyEnabled') !== true || dbTargets(ctx).length === 0) return same('used only in batch apply mode to a database target');
      if ((v as number) > 10_000_000) return refused(`${String(v)} is over maxBatchRecords's limit (10000000)`);
      return set(dbTargets(ctx).map((i) => ({ at: ['targets', i, 'maxBatchRecords'], value: v })));
    },
  },
  intTo('ChangeProcessingTuning.CommitTimeout', ['settings', 'batch', 'maxDelayMs'], 0, 60000, 1000, 'the longest a change waits for its batch between source and sinks'),
  none('ChangeProcessingTuning.BatchApplyTimeoutMin', 'Ferry writes a batch once it is full or its oldest change waited maxBatchDelayMs; it never waits a minimum'),
  ...['BatchApplyMemoryLimit', 'MinTransactionSize', 'MemoryLimitTotal', 'MemoryKeepTime', 'StatementCacheSize', 'RecoveryTimeout']
    .map((k) => none(`ChangeProcessingTuning.${k}`, TUNING('memory is bounded by settings.batch.maxEvents and each target\'s maxBatchRecords/maxBatchBytes'))),

  // --- ChangeProcessingDdlHandlingPolicy
  boolSame('ChangeProcessingDdlHandlingPolicy.HandleSourceTableAltered', true, 'Ferry\'s database sinks apply added, dropped and renamed columns', 'Ferry\'s database sinks always apply column changes (targets[].droppedColumns: keep leaves dropped columns)'),
  none('ChangeProcessingDdlHandlingPolicy.HandleSourceTableDropped', 'Ferry\'s sinks never drop a target table when the source drops one'),
  boolSame('ChangeProcessingDdlHandlingPolicy.HandleSourceTableTruncated', true, 'Ferry carries TRUNCATE (op t): database targets truncate the table, lake and kinesis targets write a truncate record (a dynamodb target dead-letters it: targets[].truncate)', 'Ferry always carries TRUNCATE (op t); a dynamodb target can skip it (truncate: ignore)'),

  // --- ErrorBehavior
  valueSame('ErrorBehavior.DataErrorPolicy', ['LOG_ERROR'], 'a record that cannot be written is dead-lettered with its error and the task goes on', NO_SUSPENSION),
  valueSame('ErrorBehavior.DataTruncationErrorPolicy', ['LOG_ERROR'], 'a value the target cannot hold is dead-lettered with its error and the task goes on', NO_SUSPENSION),
  { path: 'ErrorBehavior.DataErrorEscalationPolicy', ferry: '—', judge: (v, ctx) => (sub(ctx, 'ErrorBehavior', 'DataErrorEscalationCount') === 0 || v === 'LOG_ERROR' ? same('no escalation (DataErrorEscalationCount 0)') : refused(NO_SUSPENSION)) },
  valueSame('ErrorBehavior.DataErrorEscalationCount', [0], '0: no escalation', NO_SUSPENSION),
  valueSame('ErrorBehavior.TableErrorPolicy', ['STOP_TASK'], 'a table error stops the task', NO_SUSPENSION),
  valueSame('ErrorBehavior.TableErrorEscalationPolicy', ['STOP_TASK'], 'a table error stops the task', NO_SUSPENSION),
  valueSame('ErrorBehavior.TableErrorEscalationCount', [0], '0: no escalation', NO_SUSPENSION),
  ...['RecoverableErrorCount', 'RecoverableErrorInterval', 'RecoverableErrorThrottling', 'RecoverableErrorThrottlingMax', 'RecoverableErrorStopRetryAfterThrottlingMax']
    .map((k) => none(`ErrorBehavior.${k}`, 'Ferry retries within each connector and sink (backoff on throttling and lost connections) and stops the task on an error it cannot recover from; restart it with your supervisor (systemd, Kubernetes) or the tasks API')),
  valueSame('ErrorBehavior.ApplyErrorDeletePolicy', ['IGNORE_RECORD'], 'a delete of a row the target lacks changes nothing', 'Ferry\'s database sinks ignore a delete of a missing row (DMS IGNORE_RECORD)'),
  valueSame('ErrorBehavior.ApplyErrorInsertPolicy', ['INSERT_RECORD'], 'Ferry\'s database sinks upsert: an insert whose key exists updates the row', 'Ferry\'s database sinks upsert: an insert whose key exists updates the row (DMS INSERT_RECORD)'),
  valueSame('ErrorBehavior.ApplyErrorUpdatePolicy', ['UPDATE_RECORD'], 'Ferry\'s database sinks upsert: an update of a missing row inserts it', 'Ferry\'s database sinks upsert: an update of a missing row inserts it (DMS UPDATE_RECORD)'),
  { path: 'ErrorBehavior.ApplyErrorEscalationPolicy', ferry: '—', judge: (_v, ctx) => (sub(ctx, 'ErrorBehavior', 'ApplyErrorEscalationCount') === 0 ? same('no escalation (ApplyErrorEscalationCount 0)') : refused(NO_SUSPENSION)) },
  valueSame('ErrorBehavior.ApplyErrorEscalationCount', [0], '0: no escalation', NO_SUSPENSION),
  boolSame('ErrorBehavior.ApplyErrorFailOnTruncationDdl', false, 'a TRUNCATE is carried, never a failure', 'Ferry carries TRUNCATE to the targets; it never fails the task on one'),
  boolSame('ErrorBehavior.FullLoadIgnoreConflicts', true, 'Ferry\'s database sinks upsert, so a conflict of the full load with cached changes never fails', 'Ferry\'s database sinks upsert; there are no conflicts to report'),
  boolSame('ErrorBehavior.FailOnTransactionConsistencyBreached', false, 'DMS uses it for Oracle sources only', 'DMS uses it for Oracle sources only; Ferry reads no Oracle'),
  boolSame('ErrorBehavior.FailOnNoTablesCaptured', true, 'a task whose table mapping selects no table fails to start (FERRY_NO_TABLES_SELECTED)', 'a Ferry task whose table mapping selects no table always fails to start (FERRY_NO_TABLES_SELECTED)'),
  none('ErrorBehavior.EventErrorPolicy', 'DMS task-event errors have no Ferry counterpart'),

  // --- ValidationSettings
  {
    path: 'ValidationSettings.EnableValidation', ferry: 'settings.validation.enabled',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'boolean');
      if (t) return t;
      if (v === true && dbTargets(ctx).length === 0) return refused('Ferry validates postgres and mysql targets, and this task has none');
      return set([{ at: ['settings', 'validation', 'enabled'], value: v }]);
    },
  },
  valueSame('ValidationSettings.ValidationMode', ['ROW_LEVEL'], 'Ferry compares rows', 'Ferry compares rows (ROW_LEVEL) only'),
  intTo('ValidationSettings.ThreadCount', ['settings', 'validation', 'maxConcurrency'], 1, 64),
  intTo('ValidationSettings.PartitionSize', ['settings', 'validation', 'chunkRows'], 100, 10000000),
  intTo('ValidationSettings.FailureMaxCount', ['settings', 'validation', 'failureMaxCount'], 1, 10000000),
  ...['RecordFailureDelayInMinutes', 'RecordSuspendDelayInMinutes', 'RecordFailureDelayLimitInMinutes']
    .map((k) => none(`ValidationSettings.${k}`, 'Ferry re-checks a differing row once the stream has passed it, not after a delay: settings.validation.recheckConfirmations and maxRecheckAttempts')),
  none('ValidationSettings.TableFailureMaxCount', 'Ferry keeps validating a table whatever its mismatches (settings.validation.failureMaxCount bounds the rows recorded)'),
  { path: 'ValidationSettings.MaxKeyColumnSize', ferry: '—', judge: (v) => typeProblem(v, 'integer') ?? same('Ferry compares keys of any size') },
  boolSame('ValidationSettings.ValidationOnly', false, 'the task moves data', 'run `ferry validate-data <task-file>` to validate without moving data'),
  boolSame('ValidationSettings.HandleCollationDiff', false, 'Ferry compares values exactly', 'Ferry compares values exactly, never by collation'),
  boolSame('ValidationSettings.SkipLobColumns', false, 'Ferry compares LOB columns', 'Ferry always compares LOB columns'),
  valueSame('ValidationSettings.ValidationPartialLobSize', [0], '0: whole LOB values are compared', 'Ferry compares whole LOB values'),
  valueSame('ValidationSettings.ValidationQueryCdcDelaySeconds', [0], '0: no delay', 'Ferry waits for the stream to pass a row, not for a delay'),

  // --- BeforeImageSettings (Kinesis and Kafka targets in DMS)
  {
    path: 'BeforeImageSettings.EnableBeforeImage', ferry: 'targets[kinesis|parquet|csv].beforeImage',
    judge: (v, ctx) => {
      const t = typeProblem(v, 'boolean');
      if (t) return t;
      const idx = ctx.targetTypes.flatMap((x, i) => (['kinesis', 'parquet', 'csv'].includes(x) ? [i] : []));
      if (idx.length === 0) return v ? refused('only kinesis, parquet and csv targets write before images, and this task has none') : same('false: no before image');
      return set(idx.map((i) => ({ at: ['targets', i, 'beforeImage'], value: v })));
    },
  },
  valueSame('BeforeImageSettings.FieldName', ['before-image'], 'Ferry\'s kinesis json names it "before-image"', 'Ferry\'s kinesis json names the field "before-image" (parquet/csv: targets[].beforeImagePrefix)'),
  valueSame('BeforeImageSettings.ColumnFilter', ['all'], 'Ferry writes every column', 'Ferry writes every column of the before image'),

  // --- sections Ferry has nothing for (a null section is accepted as "not set")
  none('CharacterSetSettings.CharacterSetSupport', 'Ferry carries characters as they are (sources decode to UTF-8); there is no substitution'),
  none('CharacterSetSettings.CharacterReplacements', 'Ferry carries characters as they are (sources decode to UTF-8); there is no substitution'),
  none('LoopbackPreventionSettings.EnableLoopbackPrevention', 'Ferry has no loopback prevention for bidirectional replication'),
  none('LoopbackPreventionSettings.SourceSchema', 'Ferry has no loopback prevention for bidirectional replication'),
  none('LoopbackPreventionSettings.TargetSchema', 'Ferry has no loopback prevention for bidirectional replication'),
  none('PostProcessingRules', 'DMS post-processing rules have no Ferry counterpart'),
  boolSame('FailTaskWhenCleanTaskResourceFailed', false, 'DMS default', 'Ferry has no task-resource clean-up step'),
  none('TTSettings.EnableTT', 'DMS Time Travel has no Ferry counterpart; the Kafka topics keep every change for their retention'),
  none('TTSettings.TTS3Settings', 'DMS Time Travel has no Ferry counterpart'),
  none('TTSettings.TTRecordSettings', 'DMS Time Travel has no Ferry counterpart'),
];

const BY_PATH = new Map(DMS_SETTING_RULES.map((r) => [r.path, r]));

/** The rule of a DMS setting path, or undefined when Ferry does not know it. */
export function dmsSettingRule(path: string): DmsSettingRule | undefined {
  return BY_PATH.get(path);
}

/** Whether a DMS path names a section whose leaves the table lists (so a nested value is walked, not judged whole). */
export function isDmsSection(path: string): boolean {
  return !BY_PATH.has(path) && DMS_SETTING_RULES.some((r) => r.path.startsWith(`${path}.`));
}
