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
import { openStateKeyring } from '../../../../runtime/src/encryption/state-keyring.ts';
import { serveStateEncryption } from '../../tasks-api/task-store-encryption.ts';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveSecretReferences } from '../../../../runtime/src/config/secrets.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { ApiTokens } from '../../tasks-api/api-tokens.ts';
import { AuditLog } from '../../tasks-api/audit-log.ts';
import { startTaskApiServer } from '../../tasks-api/http-server.ts';
import { KafkaTaskStore } from '../../tasks-api/kafka-task-store.ts';
import { loadKafkaStoreSecurity } from '../../tasks-api/kafka-store-security.ts';
import { DEFAULT_SECRET_ENV_PREFIX, TaskManager } from '../../tasks-api/task-manager.ts';
import { SqliteTaskStore, type TaskStore } from '../../tasks-api/task-store.ts';
import { TaskReports } from '../../tasks-api/task-reports.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { out, outJson, reportError } from '../output.ts';

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  /** `${env:NAME}` or `${file:path}`; default ${env:FERRY_API_TOKEN}. */
  readonly token?: string;
  readonly stateDir: string;
  readonly kafkaBrokers?: string;
  /** YAML/JSON file with tls and sasl of the --kafka-brokers cluster (kafka-store-security.ts). */
  readonly kafkaSecurity?: string;
  readonly tasksTopic: string;
  readonly replicationFactor: number;
  /** The only folder `${file:}` references in API tasks may read; default none. */
  readonly secretsDir?: string;
  /** `${env:NAME}` references in API tasks resolve only for names with this prefix; default FERRY_SECRET_, "" none. */
  readonly secretsEnvPrefix?: string;
  /** `${aws-sm:id}` references in API tasks resolve only for secret names/ARNs with this prefix; default none. */
  readonly secretsAwsSmPrefix?: string;
  /** --state-key-file / --state-kms-key: settings.stateEncryption of the SQLite task store (docs/security.md#encryption-at-rest). */
  readonly stateKeyFile?: string;
  readonly stateKmsKey?: string;
  readonly json?: boolean;
  /** Serve HTTPS: the certificate (chain, PEM) and its private key (PEM). */
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** --history-sample-ms: the console's chart samples (TaskManager historySampleMs); default 5000. */
  readonly historySampleMs?: number;
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

/** The Kafka-backed task store, over TLS/SASL when --kafka-security names a file. */
function openKafkaTaskStore(brokers: string[], options: ServeOptions, log: ReturnType<typeof createLogger>): Promise<KafkaTaskStore> {
  const security = options.kafkaSecurity ? loadKafkaStoreSecurity(options.kafkaSecurity, brokers, log) : {};
  return KafkaTaskStore.open({ brokers, clientId: 'ferry-serve', ...security, topic: options.tasksTopic, replicationFactor: options.replicationFactor });
}

/** The certificate and key of --tls-cert/--tls-key, read now so a wrong path fails the start with its name. */
export function readTlsFiles(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new FerryError('FERRY_USAGE', '--tls-cert and --tls-key go together: pass the certificate (PEM) and its private key (PEM)');
  const read = (flag: string, f: string) => {
    try {
      return readFileSync(f);
    } catch (e: unknown) {
      throw new FerryError('FERRY_CONFIG_INVALID', `${flag} ${f} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  return { cert: read('--tls-cert', certFile), key: read('--tls-key', keyFile) };
}

export async function serveCommand(options: ServeOptions): Promise<ExitCode> {
  const json = options.json === true;
  const log = createLogger({ name: 'ferry-serve' });
  let store: TaskStore | undefined;
  let audit: AuditLog | undefined;
  try {
    const stateDir = resolve(options.stateDir);
    const tls = readTlsFiles(options.tlsCert, options.tlsKey);
    // The API tokens and the audit log stay in --state-dir, also with the Kafka-backed task store (per server).
    const tokenStateDir = stateDir;
    const issued = new ApiTokens({ stateDir: tokenStateDir });
    // The bootstrap admin token: required, unless it is left to its default and an issued admin token exists.
    const envDefault = options.token === undefined && process.env.FERRY_API_TOKEN === undefined && issued.hasAdmin();
    const token = envDefault ? undefined : resolveToken(options.token ?? '${env:FERRY_API_TOKEN}');
    const tokens = new ApiTokens({ stateDir: tokenStateDir, ...(token !== undefined ? { bootstrapToken: token } : {}) });
    audit = await AuditLog.open(stateDir);
    store = options.kafkaBrokers
      ? await openKafkaTaskStore(options.kafkaBrokers.split(',').map((b) => b.trim()).filter(Boolean), options, log)
      : new SqliteTaskStore({ path: join(stateDir, 'tasks.db'), cipher: await openStateKeyring(stateDir, serveStateEncryption(options)) });
    const secretsDir = options.secretsDir === undefined ? null : resolve(options.secretsDir);
    if (secretsDir !== null && !statSync(secretsDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new FerryError('FERRY_CONFIG_INVALID', `--secrets-dir ${secretsDir} is not a folder`);
    }
    const envPrefix = options.secretsEnvPrefix ?? DEFAULT_SECRET_ENV_PREFIX;
    const manager = await TaskManager.open({
      store, log, dataDir: process.cwd(),
      secretSources: { envPrefix: envPrefix === '' ? null : envPrefix, fileDir: secretsDir, awsSmPrefix: options.secretsAwsSmPrefix || null },
      // A task's settings.stateDir must lie inside the default .ferry/ or the server's --state-dir.
      stateRoots: ['.ferry', stateDir],
      ...(options.historySampleMs !== undefined ? { historySampleMs: options.historySampleMs } : {}),
    });
    const server = await startTaskApiServer({ manager, tokens, audit, reports: new TaskReports(join(stateDir, 'assessments')), host: options.host, port: options.port, log, ...(tls ? { tls } : {}) });
    if (!tls && !/^(127\.|::1$|localhost$)/.test(options.host)) {
      log.warn({ host: options.host }, `the task API listens on ${options.host} over plain HTTP: tokens and task definitions cross the network unencrypted; pass --tls-cert and --tls-key`);
    }
    const resumed = await manager.resumeRunning();
    // The audit log's head, in the server's log: a copy outside the state folder to check the chain against later.
    log.info({ url: server.url, store: store.description, resumed, audit: { file: audit.file, ...audit.head }, bootstrapToken: token !== undefined }, `task API at ${server.url}; tasks in ${store.description}; audit log head ${audit.head.seq}:${audit.head.hash}`);
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
    await audit.close();
    return EXIT.OK;
  } catch (e: unknown) {
    await store?.close().catch(() => undefined);
    await audit?.close().catch(() => undefined);
    return reportError(e, json);
  }
}
