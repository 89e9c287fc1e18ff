/**
 * The tasks `ferry serve` manages: their definitions and status (durable in a TaskStore), and their pipelines,
 * run in this process with runTask (app/src/task/TaskRunner.ts), each with its own TaskStatistics.
 *
 * Lifecycle: create (validated by the task loader, every problem at once) → start → stop → start again (resumes
 * from the stored offset, no new snapshot) → delete (stops it, forgets its offset). Tables: reload (an
 * execute-snapshot signal to the running source), add/remove (edit the selection, restart the pipeline in-process
 * from its stored offset, and queue an execute-snapshot for each added table). Operations on one task run one at
 * a time.
 */
import { openStateKeyring } from '../../../runtime/src/encryption/state-keyring.ts';
import { ConfigError, parseTaskAsync, type ResolvedTask } from '../task-file/load-task.ts';
import { redact } from '../../../runtime/src/config/secrets.ts';
import { errorMessage, FerryError, type ErrorCode } from '../../../core/src/errors.ts';
import type { Logger, SignalStatus } from '../../../core/src/types.ts';
import { PromMetrics } from '../../../runtime/src/metrics/metrics.ts';
import { openOffsetStore } from '../../../runtime/src/offsets/open-offset-store.ts';
import { runTask } from '../task/TaskRunner.ts';
import { planTask, type TaskPlan } from '../plan/plan-task.ts';
import { notifyOnce } from '../task/task-notifications.ts';
import { targetOptionProblems } from '../task/targets.ts';
import { ApiError, badRequest, conflict, notFound } from './api-error.ts';
import { addTables, removeTables } from './selection-edit.ts';
import type { StoredTask, TaskState, TaskStore } from './task-store.ts';
import { TaskStatistics } from './task-statistics.ts';
import { TaskHistory, type TaskHistoryView } from './task-history.ts';
import { apiReferencePolicy, restoreMaskedSecrets, type ApiSecretSources } from '../task/secret-fields.ts';
import { confineKeyFile, confineStateDir } from './api-state-dir.ts';
import { detailView, statsView, statusView, summaryView, type TaskDetail, type TaskStatsView, type TaskStatusView, type TaskSummary } from './task-views.ts';

export interface TaskManagerOptions {
  readonly store: TaskStore;
  readonly log: Logger;
  /** The default settings.stateDir of a task is <dataDir>/.ferry/<name>; relative ${file:} references resolve here. */
  readonly dataDir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Persist statistics of running tasks at most this often (ms); default 5000. */
  readonly statsPersistMs?: number;
  /**
   * What secret references in a task may resolve from (docs/api.md "Secrets"): `${env:NAME}` only for names with
   * envPrefix, `${file:path}` only inside fileDir; each null turns that provider off. Default: env names starting
   * with FERRY_SECRET_, no files.
   */
  readonly secretSources?: ApiSecretSources;
  /** Folders a task's settings.stateDir must lie inside (relative to dataDir); default [".ferry"]. */
  readonly stateRoots?: readonly string[];
  /** How often each task's latency and throughput are sampled for GET /tasks/{name}/history (ms); default 5000. */
  readonly historySampleMs?: number;
}

export const DEFAULT_SECRET_ENV_PREFIX = 'FERRY_SECRET_';

interface Run {
  readonly controller: AbortController;
  readonly done: Promise<void>;
  /** Why this run is being stopped: 'request', 'restart' (table change) or 'shutdown' (the server stops). */
  stopping: 'request' | 'restart' | 'shutdown' | null;
}

export interface ManagedTask {
  record: StoredTask;
  stats: TaskStatistics;
  metrics: PromMetrics | null;
  run: Run | null;
  lock: Promise<unknown>;
}

const now = () => new Date().toISOString();
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const statusOf = (state: TaskState, reason: string | null): Partial<StoredTask> => ({ status: { state, reason, since: now() } });
const NAME_RE = /^[A-Za-z0-9_.-]{1,200}$/;

export class TaskManager {
  readonly #o: TaskManagerOptions;
  readonly #tasks = new Map<string, ManagedTask>();
  readonly #timer: NodeJS.Timeout;
  readonly #sampler: NodeJS.Timeout;
  /** The last hour of latency and throughput samples and the recent state changes of each task (in memory). */
  readonly history: TaskHistory;

  private constructor(options: TaskManagerOptions, records: readonly StoredTask[]) {
    this.#o = options;
    this.history = new TaskHistory(options.historySampleMs ?? 5000);
    for (const r of records) this.#tasks.set(r.name, { record: r, stats: TaskStatistics.restore(r.statistics), metrics: null, run: null, lock: Promise.resolve() });
    this.#timer = setInterval(() => { void this.#persistStats(); }, options.statsPersistMs ?? 5000);
    this.#timer.unref();
    this.#sample();
    this.#sampler = setInterval(() => this.#sample(), this.history.sampleMs);
    this.#sampler.unref();
  }

  /** One history sample of every task. */
  #sample(): void {
    for (const t of this.#tasks.values()) {
      const state = summaryView(t).status;
      this.history.sample(t.record.name, state, t.stats.latency(), t.stats.tables(), t.run !== null);
    }
  }

  static async open(options: TaskManagerOptions): Promise<TaskManager> {
    return new TaskManager(options, await options.store.list());
  }

  /** Starts the tasks whose desired state is running (after a server restart); returns their names. */
  async resumeRunning(): Promise<string[]> {
    const names: string[] = [];
    for (const t of this.#tasks.values()) {
      if (t.record.desired !== 'running') continue;
      names.push(t.record.name);
      await this.#serial(t, () => this.#startRun(t, 'resumed after a server restart')).catch((e: unknown) => {
        this.#o.log.error({ task: t.record.name, err: e }, `task ${t.record.name} could not be resumed: ${redact(errorMessage(e))}`);
      });
    }
    return names;
  }

  #get(name: string): ManagedTask {
    const t = this.#tasks.get(name);
    if (!t) throw notFound(name);
    return t;
  }

  /** Runs `fn` after every earlier operation on the task. */
  #serial<T>(t: ManagedTask, fn: () => Promise<T>): Promise<T> {
    const next = t.lock.then(fn, fn);
    t.lock = next.catch(() => undefined);
    return next;
  }

  /**
   * Validates a definition as the API allows it: secret references resolve only in secret fields and from the
   * allowed sources, and the state folder stays inside the server's state roots.
   */
  async #parse(definition: Record<string, unknown>, label: string): Promise<ResolvedTask> {
    const sources = this.#o.secretSources ?? { envPrefix: DEFAULT_SECRET_ENV_PREFIX, fileDir: null };
    const referencePolicy = apiReferencePolicy(definition, sources);
    const task = await parseTaskAsync(definition, { file: label, cwd: this.#o.dataDir, baseDir: sources.fileDir ?? this.#o.dataDir, referencePolicy, ...(this.#o.env ? { env: this.#o.env } : {}) });
    const state = confineStateDir(task.settings.stateDir, { dataDir: this.#o.dataDir, roots: this.#o.stateRoots ?? ['.ferry'] });
    if (state.dir === null) throw new ConfigError(label, [{ path: 'settings.stateDir', message: state.problem! }]);
    const encryption = task.settings.stateEncryption;
    if (encryption?.keyFile !== undefined) {
      const key = confineKeyFile(encryption.keyFile, sources.fileDir);
      if (key.file === null) throw new ConfigError(label, [{ path: 'settings.stateEncryption.keyFile', message: key.problem! }]);
      return { ...task, settings: { ...task.settings, stateDir: state.dir, stateEncryption: { ...encryption, keyFile: key.file } } };
    }
    return { ...task, settings: { ...task.settings, stateDir: state.dir } };
  }

  /** Stores the task's record with `changes`; a status change is also recorded in its history (with `code` for a failure). */
  async #save(t: ManagedTask, changes: Partial<StoredTask>, code: ErrorCode | null = null): Promise<void> {
    t.record = { ...t.record, ...changes, statistics: t.stats.toJSON(), updatedAt: now() };
    if (changes.status) this.history.event(t.record.name, changes.status.state, changes.status.reason, code, changes.status.since);
    await this.#o.store.put(t.record);
  }


  list(): TaskSummary[] {
    return [...this.#tasks.values()].sort((a, b) => a.record.name.localeCompare(b.record.name)).map((t) => summaryView(t));
  }

  get(name: string): TaskDetail {
    const t = this.#get(name);
    return detailView(t);
  }

  /** Validates a new task's document as a create does: every problem at once as a 400 invalid_task. */
  async #checkNew(body: unknown): Promise<ResolvedTask> {
    let task: ResolvedTask;
    try {
      task = await this.#parse(body as Record<string, unknown>, 'task');
    } catch (e: unknown) {
      if (e instanceof ConfigError) throw new ApiError(400, 'invalid_task', redact(e.message), e.problems.map((p) => ({ path: p.path, message: redact(p.message) })));
      throw badRequest(redact(errorMessage(e)));
    }
    const targetProblems = targetOptionProblems(task);
    if (targetProblems.length > 0) {
      throw new ApiError(400, 'invalid_task', redact(`task: ${targetProblems.length} problem${targetProblems.length === 1 ? '' : 's'} in its targets:\n${targetProblems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`), targetProblems.map((p) => ({ path: p.path, message: redact(p.message) })));
    }
    if (!NAME_RE.test(task.name)) throw new ApiError(400, 'invalid_task', `task name "${task.name}" must be 1-200 letters, digits, ".", "_" or "-"`, [{ path: 'name', message: 'must be 1-200 letters, digits, ".", "_" or "-"' }]);
    return task;
  }

  /**
   * POST /validate: the problems a create of this document would report (the same paths and messages as
   * `ferry validate`, plus a taken name), without storing anything or connecting anywhere. With `replacing`, the
   * problems of PUT /tasks/{replacing} instead: its masked secrets count as the stored ones, and the name must stay.
   */
  async validate(body: unknown, replacing?: string): Promise<{ valid: boolean; problems: { path: string; message: string }[]; task: { name: string; engine: string; migrationType: string } | null }> {
    const stored = replacing === undefined ? undefined : this.#get(replacing);
    try {
      const doc = stored && isObject(body) ? restoreMaskedSecrets(body, stored.record.definition) : body;
      const task = await this.#checkNew(doc);
      const problems = stored
        ? (task.name === stored.record.name ? [] : [{ path: 'name', message: `a task's name cannot change (it is "${stored.record.name}"); copy it as a new task instead` }])
        : this.#tasks.has(task.name) ? [{ path: 'name', message: `a task named "${task.name}" already exists; choose another name (or delete that task first)` }] : [];
      return { valid: problems.length === 0, problems, task: { name: task.name, engine: task.source.engine, migrationType: task.migrationType } };
    } catch (e: unknown) {
      if (e instanceof ApiError && e.code === 'invalid_task') return { valid: false, problems: [...(e.problems ?? [{ path: '(root)', message: e.message }])], task: null };
      if (e instanceof ApiError && e.status === 400) return { valid: false, problems: [{ path: '(root)', message: e.message }], task: null };
      throw e;
    }
  }

  /**
   * PUT /tasks/{name}: replaces the definition of a task that is not running (DMS ModifyReplicationTask). Secrets left
   * as "***" keep their stored values; the name cannot change. The stored offset and statistics stay, so the next
   * start resumes where the task stopped, with the new definition.
   */
  async update(name: string, body: unknown): Promise<TaskDetail> {
    const t = this.#get(name);
    return this.#serial(t, async () => {
      if (t.run) throw conflict(`task ${name} is running: stop it before changing its definition`);
      const doc = isObject(body) ? restoreMaskedSecrets(body, t.record.definition) : body;
      const task = await this.#checkNew(doc);
      if (task.name !== name) throw new ApiError(400, 'invalid_task', `task: a task's name cannot change (it is "${name}"); copy it as a new task instead`, [{ path: 'name', message: `a task's name cannot change (it is "${name}"); copy it as a new task instead` }]);
      await this.#save(t, { definition: doc as Record<string, unknown> });
      this.#o.log.info({ task: name }, `task ${name} changed`);
      await notifyOnce(() => task, { category: 'configuration-change', message: `task ${name}: its definition changed` }, this.#o.log); // settings.notifications
      return detailView(t);
    });
  }

  /** POST /plan: `ferry plan` of a document (its source catalog and schema registry are read; nothing is stored); with
   * `replacing`, of PUT /tasks/{replacing}'s document (its masked secrets count as the stored ones). */
  async plan(body: unknown, replacing?: string, timeoutMs = 15000): Promise<TaskPlan> {
    const stored = replacing === undefined ? undefined : this.#get(replacing);
    const doc = stored && isObject(body) ? restoreMaskedSecrets(body, stored.record.definition) : body;
    return planTask(await this.#checkNew(doc), { timeoutMs });
  }

  /** Validates and stores a new task (stopped). 400 with every problem; 409 when the name is taken. */
  async create(body: unknown, options: { start?: boolean } = {}): Promise<TaskDetail> {
    const task = await this.#checkNew(body);
    if (this.#tasks.has(task.name)) throw conflict(`a task named "${task.name}" already exists; delete it first or choose another name`);
    const t: ManagedTask = {
      record: { name: task.name, definition: body as Record<string, unknown>, desired: 'stopped', status: { state: 'stopped', reason: 'created', since: now() }, createdAt: now(), updatedAt: now() },
      stats: new TaskStatistics(), metrics: null, run: null, lock: Promise.resolve(),
    };
    this.#tasks.set(task.name, t);
    try {
      await this.#o.store.put(t.record);
    } catch (e: unknown) {
      this.#tasks.delete(task.name);
      throw e;
    }
    this.#o.log.info({ task: task.name }, `task ${task.name} created`);
    await notifyOnce(() => task, { category: 'creation', key: `created@${t.record.createdAt}`, message: `task ${task.name} created (${task.migrationType})`, details: { migrationType: task.migrationType } }, this.#o.log); // settings.notifications (docs/notifications.md)
    if (options.start) await this.start(task.name);
    return this.get(task.name);
  }

  async start(name: string): Promise<TaskSummary> {
    const t = this.#get(name);
    return this.#serial(t, async () => {
      if (t.run) throw conflict(`task ${name} is already running`);
      await this.#startRun(t, null);
      return summaryView(t);
    });
  }

  async stop(name: string): Promise<TaskSummary> {
    const t = this.#get(name);
    return this.#serial(t, async () => {
      if (!t.run) throw conflict(`task ${name} is not running (it is ${t.record.status.state})`);
      await this.#stopRun(t, 'request');
      return summaryView(t);
    });
  }

  /** Stops the task if it runs, forgets its stored offset, and deletes its definition and status. */
  async delete(name: string): Promise<void> {
    const t = this.#get(name);
    await this.#serial(t, async () => {
      if (t.run) await this.#stopRun(t, 'request');
      try {
        const parsed = await this.#parse(t.record.definition, `task ${name}`);
        await openStateKeyring(parsed.settings.stateDir, parsed.settings.stateEncryption); // settings.stateEncryption
        const offsets = openOffsetStore(parsed);
        try { await offsets.reset(name); } finally { await offsets.close(); }
      } catch (e: unknown) {
        this.#o.log.warn({ task: name, err: e }, `task ${name}: its stored offset could not be reset (${errorMessage(e)}); a new task with this name would resume from it`);
      }
      await notifyOnce(() => this.#parse(t.record.definition, `task ${name}`), { category: 'deletion', message: `task ${name} deleted` }, this.#o.log); // settings.notifications
      await this.#o.store.delete(name);
      this.#tasks.delete(name);
      this.history.forget(name);
      this.#o.log.info({ task: name }, `task ${name} deleted`);
    });
  }

  /** Queues an incremental re-snapshot of tables of a running task (no restart). */
  async reloadTables(name: string, tables: readonly string[]): Promise<SignalStatus> {
    const t = this.#get(name);
    return this.#serial(t, async () => {
      const source = t.stats.source;
      if (!t.run || !source) throw conflict(`task ${name} is not running: start it before reloading tables`);
      if (!source.signal) throw conflict(`task ${name}'s source cannot reload tables`);
      const r = await source.signal({ type: 'execute-snapshot', tables });
      if (!r.accepted) throw badRequest(redact(r.reason));
      t.stats.reloadRequested(r.signal.tables, r.signal.id);
      this.#o.log.info({ task: name, tables, signal: r.signal.id }, `task ${name}: reload of ${tables.join(', ')} queued`);
      return r.signal;
    });
  }

  /** Adds tables to the selection; a running task restarts in-process from its offset and re-snapshots them. */
  async addTables(name: string, tables: readonly string[]): Promise<{ task: TaskSummary; added: readonly string[]; reloads: readonly string[] }> {
    const t = this.#get(name);
    return this.#serial(t, async () => {
      const edit = addTables(t.record.definition, tables);
      if ('problem' in edit) throw badRequest(edit.problem);
      const task = await this.#validateEdit(edit.definition, name);
      // Existing rows are copied by an incremental snapshot once the initial full load has happened; before that,
      // the full load itself copies them. A cdc task captures changes only, as its migrationType says.
      const copy = task.migrationType === 'full-load-and-cdc' && t.stats.fullLoad(new Map()).state !== 'not started';
      const pendingReloads = copy ? [...new Set([...(t.record.pendingReloads ?? []), ...edit.changed])] : t.record.pendingReloads;
      await this.#applyEdit(t, edit.definition, pendingReloads ?? []);
      return { task: summaryView(t), added: edit.changed, reloads: copy ? edit.changed : [] };
    });
  }

  async removeTables(name: string, tables: readonly string[]): Promise<{ task: TaskSummary; removed: readonly string[] }> {
    const t = this.#get(name);
    return this.#serial(t, async () => {
      const edit = removeTables(t.record.definition, tables);
      if ('problem' in edit) throw badRequest(edit.problem);
      await this.#validateEdit(edit.definition, name);
      await this.#applyEdit(t, edit.definition, (t.record.pendingReloads ?? []).filter((x) => !edit.changed.includes(x)));
      t.stats.cancelled(edit.changed);
      await this.#save(t, {});
      return { task: summaryView(t), removed: edit.changed };
    });
  }

  async #validateEdit(definition: Record<string, unknown>, name: string): Promise<ResolvedTask> {
    try {
      return await this.#parse(definition, `task ${name}`);
    } catch (e: unknown) {
      if (e instanceof ConfigError) throw new ApiError(400, 'invalid_task', redact(e.message), e.problems);
      throw e;
    }
  }

  /** Stores the edited definition; a running task restarts from its stored offset with it. */
  async #applyEdit(t: ManagedTask, definition: Record<string, unknown>, pendingReloads: readonly string[]): Promise<void> {
    const wasRunning = t.run !== null;
    if (wasRunning) await this.#stopRun(t, 'restart');
    await this.#save(t, { definition, pendingReloads: [...pendingReloads] });
    await notifyOnce(() => this.#parse(definition, `task ${t.record.name}`), { category: 'configuration-change', message: `task ${t.record.name}: its table selection changed`, details: { pendingReloads: [...pendingReloads] } }, this.#o.log); // settings.notifications
    if (wasRunning) await this.#startRun(t, 'restarted after a table change');
  }

  async stats(name: string): Promise<TaskStatsView> {
    return statsView(this.#get(name));
  }

  async status(name: string): Promise<TaskStatusView> {
    return statusView(this.#get(name), this.history.eventsPerSecond(name));
  }

  /** The last hour's latency and throughput samples and the recent state changes (GET /tasks/{name}/history). */
  taskHistory(name: string): TaskHistoryView {
    this.#get(name);
    return this.history.view(name);
  }

  /**
   * The stored task resolved as a start would resolve it (secret references included), for the assessment,
   * schema-conversion and validation-failures endpoints; a definition that no longer resolves is a 409.
   */
  async resolvedTask(name: string): Promise<ResolvedTask> {
    const t = this.#get(name);
    try {
      return await this.#parse(t.record.definition, `task ${name}`);
    } catch (e: unknown) {
      throw e instanceof ConfigError ? new ApiError(409, 'invalid_task', `the stored definition of ${name} does not resolve now: ${redact(e.message)}; fix it with PUT /tasks/${name}`, e.problems) : e;
    }
  }

  /** Starts the task's pipeline; its end (completion, failure or stop) updates the status. */
  async #startRun(t: ManagedTask, reason: string | null): Promise<void> {
    const name = t.record.name;
    let task: ResolvedTask;
    try {
      task = await this.#parse(t.record.definition, `task ${name}`);
    } catch (e: unknown) {
      await this.#save(t, { desired: 'stopped', ...statusOf('failed', redact(errorMessage(e))) });
      throw e instanceof ConfigError ? new ApiError(400, 'invalid_task', redact(e.message), e.problems) : e;
    }
    const log = this.#o.log.child({ task: name });
    const metrics = new PromMetrics({ defaultLabels: { task: name }, collectProcessMetrics: false });
    t.metrics = metrics;
    const controller = new AbortController();
    const run: Run = { controller, stopping: null, done: Promise.resolve() };
    t.run = run;
    await this.#save(t, { desired: 'running', ...statusOf('running', reason) });
    log.info({ migrationType: task.migrationType }, `task ${name} started`);
    (run as { done: Promise<void> }).done = runTask({ task, log, metrics, serveMetrics: false, statistics: t.stats }, controller.signal).then(
      async (result) => {
        if (run.stopping === 'shutdown' || run.stopping === 'restart') return;
        const why = run.stopping === 'request' ? 'stopped by request' : result.snapshotDone && task.migrationType === 'full-load' ? 'full load completed' : 'the source ended';
        await this.#save(t, { desired: 'stopped', ...statusOf('stopped', why) });
      },
      async (e: unknown) => {
        const message = redact(errorMessage(e));
        log.error({ err: e }, `task ${name} failed: ${message}`);
        await this.#save(t, { desired: 'stopped', ...statusOf('failed', message) }, e instanceof FerryError ? e.code : null);
      },
    ).catch((e: unknown) => log.error({ err: e }, `task ${name}: its status could not be stored: ${errorMessage(e)}`)).finally(() => {
      if (t.run === run) { t.run = null; t.stats.attach(null); }
    });
    void this.#queuePendingReloads(t, run);
  }

  /** Once the new run's source is open, queues the reloads of tables added while it was restarting. */
  async #queuePendingReloads(t: ManagedTask, run: Run): Promise<void> {
    const pending = t.record.pendingReloads ?? [];
    if (pending.length === 0) return;
    while (t.run === run && !t.stats.source) await new Promise((r) => setTimeout(r, 50));
    const source = t.stats.source;
    if (t.run !== run || !source?.signal) return;
    const r = await source.signal({ type: 'execute-snapshot', tables: pending }).catch((e: unknown) => ({ accepted: false as const, reason: errorMessage(e) }));
    if (r.accepted) {
      t.stats.reloadRequested(r.signal.tables, r.signal.id);
      await this.#serial(t, () => this.#save(t, { pendingReloads: [] })).catch(() => undefined);
    } else {
      this.#o.log.warn({ task: t.record.name, tables: pending }, `task ${t.record.name}: the added tables could not be queued for a snapshot: ${redact(r.reason)}`);
    }
  }

  async #stopRun(t: ManagedTask, why: 'request' | 'restart' | 'shutdown'): Promise<void> {
    const run = t.run;
    if (!run) return;
    run.stopping = why;
    if (why === 'request') await this.#save(t, { desired: 'stopped', ...statusOf('stopping', 'stop requested') });
    run.controller.abort();
    await run.done;
    if (why !== 'shutdown') await this.#save(t, {});
  }

  async #persistStats(): Promise<void> {
    for (const t of this.#tasks.values()) {
      if (!t.stats.takeChanged()) continue;
      await this.#serial(t, () => this.#save(t, {})).catch((e: unknown) => this.#o.log.warn({ err: e }, `cannot store the statistics of task ${t.record.name}: ${errorMessage(e)}`));
    }
  }

  /** Stops every pipeline gracefully, keeping each task's desired state, so a restarted server resumes them. */
  async shutdown(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#sampler);
    await Promise.all([...this.#tasks.values()].map((t) => this.#serial(t, () => this.#stopRun(t, 'shutdown'))));
    for (const t of this.#tasks.values()) await this.#save(t, {}).catch(() => undefined);
  }
}
