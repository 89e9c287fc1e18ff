/**
 * `ferry serve`: hosts the task REST API (app/src/tasks-api, docs/api.md) and runs the tasks it manages in this
 * process. Task definitions and status live in SQLite under --state-dir (single machine) or in a compacted Kafka
 * topic (--kafka-brokers: the Kafka-backed task store, no failover); on start it resumes the tasks that were running. SIGINT/SIGTERM stop
 * every pipeline gracefully (flush, commit) without changing what should run, so the next start resumes them.
 *
 * Tasks come from API clients, not the operator: their secret references resolve only in fields declared secret,
 * only from env names with --secrets-env-prefix and files in --secrets-dir, and their state stays in the server's
 * state folders (docs/api.md "Secrets and paths").
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveSecretReferences } from '../../../../runtime/src/config/secrets.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { startTaskApiServer } from '../../tasks-api/http-server.ts';
import { KafkaTaskStore } from '../../tasks-api/kafka-task-store.ts';
import { DEFAULT_SECRET_ENV_PREFIX, TaskManager } from '../../tasks-api/task-manager.ts';
import { SqliteTaskStore, type TaskStore } from '../../tasks-api/task-store.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { out, outJson, reportError } from '../output.ts';

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  /** `${env:NAME}` or `${file:path}`; default ${env:FERRY_API_TOKEN}. */
  readonly token?: string;
  readonly stateDir: string;
  readonly kafkaBrokers?: string;
  readonly tasksTopic: string;
  readonly replicationFactor: number;
  /** The only folder `${file:}` references in API tasks may read; default none. */
  readonly secretsDir?: string;
  /** `${env:NAME}` references in API tasks resolve only for names with this prefix; default FERRY_SECRET_, "" none. */
  readonly secretsEnvPrefix?: string;
  readonly json?: boolean;
}

/** The API token from a reference; a literal on the command line would show in `ps`, so it is refused. */
export function resolveToken(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^\$\{(env|file):[^}]+\}$/.test(ref)) {
    throw new FerryError('FERRY_CONFIG_INVALID', '--token takes a reference, ${env:NAME} or ${file:path}, never the token itself (it would show in the process list)');
  }
  const { value, problems } = resolveSecretReferences({ token: ref }, { baseDir: process.cwd(), env });
  if (problems.length > 0) throw new FerryError('FERRY_SECRET_UNRESOLVED', `the API token: ${problems[0]!.message}`);
  const token = (value as { token: string }).token;
  if (token.length < 16) throw new FerryError('FERRY_CONFIG_INVALID', `the API token (${ref}) must be at least 16 characters`);
  return token;
}

export async function serveCommand(options: ServeOptions): Promise<ExitCode> {
  const json = options.json === true;
  const log = createLogger({ name: 'ferry-serve' });
  let store: TaskStore | undefined;
  try {
    const token = resolveToken(options.token ?? '${env:FERRY_API_TOKEN}');
    const stateDir = resolve(options.stateDir);
    store = options.kafkaBrokers
      ? await KafkaTaskStore.open({ brokers: options.kafkaBrokers.split(',').map((b) => b.trim()).filter(Boolean), clientId: 'ferry-serve', topic: options.tasksTopic, replicationFactor: options.replicationFactor })
      : new SqliteTaskStore({ path: join(stateDir, 'tasks.db') });
    const secretsDir = options.secretsDir === undefined ? null : resolve(options.secretsDir);
    if (secretsDir !== null && !statSync(secretsDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new FerryError('FERRY_CONFIG_INVALID', `--secrets-dir ${secretsDir} is not a folder`);
    }
    const envPrefix = options.secretsEnvPrefix ?? DEFAULT_SECRET_ENV_PREFIX;
    const manager = await TaskManager.open({
      store, log, dataDir: process.cwd(),
      secretSources: { envPrefix: envPrefix === '' ? null : envPrefix, fileDir: secretsDir },
      // A task's settings.stateDir must lie inside the default .ferry/ or the server's --state-dir.
      stateRoots: ['.ferry', stateDir],
    });
    const server = await startTaskApiServer({ manager, token, host: options.host, port: options.port, log });
    const resumed = await manager.resumeRunning();
    log.info({ url: server.url, store: store.description, resumed }, `task API at ${server.url}; tasks in ${store.description}`);
    if (json) outJson({ ok: true, url: server.url, store: store.description, resumed });
    else out(`ferry serve: task API at ${server.url} (tasks in ${store.description}${resumed.length ? `; resumed ${resumed.join(', ')}` : ''})`);
    await new Promise<void>((done) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (++signals > 1) { log.warn(`${sig} received again: exiting now`); process.exit(EXIT.FAILED); }
        log.info({ signal: sig }, `${sig} received: stopping the tasks gracefully; they resume at the next start`);
        done();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    await server.close();
    await manager.shutdown();
    await store.close();
    return EXIT.OK;
  } catch (e: unknown) {
    await store?.close().catch(() => undefined);
    return reportError(e, json);
  }
}
