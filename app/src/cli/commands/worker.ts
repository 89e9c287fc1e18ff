/**
 * `ferry worker --cluster <name> --bootstrap <brokers>`: join a Ferry cluster and run the tasks it assigns
 * (docs/cluster.md). SIGINT/SIGTERM stop gracefully: every task's last batch is committed, then the worker leaves
 * the group so its tasks move at once; a second signal forces exit (the tasks move after the session timeout).
 */
import { hostname, networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { createLogger } from '../../../../runtime/src/log/logger.ts';
import { FerryError } from '../../../../core/src/errors.ts';
import { ClusterWorker } from '../../worker/ClusterWorker.ts';
import { startWorkerHttp } from '../../worker/worker-http.ts';
import { loadKafkaStoreSecurity } from '../../tasks-api/kafka-store-security.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { outJson, reportError } from '../output.ts';

export interface WorkerCommandOptions {
  readonly cluster?: string;
  readonly bootstrap?: string;
  readonly http: string;
  readonly workerId?: string;
  readonly stateDir?: string;
  readonly kafkaSecurity?: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly json?: boolean;
}

export const DEFAULT_WORKER_HTTP = '127.0.0.1:8083';

export async function workerCommand(options: WorkerCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const json = options.json === true;
  const cluster = options.cluster ?? env.FERRY_CLUSTER;
  const bootstrap = options.bootstrap ?? env.FERRY_KAFKA_BOOTSTRAP;
  const workerId = options.workerId ?? env.FERRY_WORKER_ID ?? `${hostname()}-${process.pid}`;
  if (!cluster || !bootstrap) {
    return reportError(new FerryError('FERRY_CONFIG_INVALID', `ferry worker needs ${!cluster ? '--cluster <name> (or FERRY_CLUSTER)' : ''}${!cluster && !bootstrap ? ' and ' : ''}${!bootstrap ? '--bootstrap <host:port,...> (or FERRY_KAFKA_BOOTSTRAP)' : ''}`), json);
  }
  const m = /^(.*):(\d{1,5})$/.exec(options.http);
  if (!m || Number(m[2]) > 65535) return reportError(new FerryError('FERRY_CONFIG_INVALID', `--http ${options.http}: expected host:port, e.g. ${DEFAULT_WORKER_HTTP}`), json);
  const [host, port] = [m[1]!, Number(m[2])];
  const brokers = bootstrap.split(',').map((b) => b.trim()).filter(Boolean);
  const log = createLogger({ level: (env.FERRY_LOG_LEVEL as never) ?? 'info' }).child({ cluster, worker: workerId });
  let worker: ClusterWorker | undefined;
  let server: Awaited<ReturnType<typeof startWorkerHttp>> | undefined;
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals === 1) {
      log.info({ signal: sig }, `${sig} received: stopping the tasks (their last batches committed) and leaving the cluster; send it again to force`);
      stop.abort();
    } else {
      log.warn({ signal: sig }, `${sig} received again: exiting now; the tasks move after the session timeout`);
      process.exit(EXIT.FAILED);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const security = options.kafkaSecurity ? loadKafkaStoreSecurity(options.kafkaSecurity, brokers, log) : {};
    const stateDir = resolve(options.stateDir ?? `.ferry-worker/${workerId}`);
    // The HTTP port first: its address is what other workers forward to.
    let url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const pending: { w?: ClusterWorker } = {};
    server = await startWorkerHttp(() => pending.w, host, port);
    const address = server.address();
    if (address && typeof address === 'object') url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    // Other workers forward to this address: a wildcard bind (0.0.0.0, ::, as in a pod) is advertised as this
    // machine's first non-loopback IPv4 address, or FERRY_WORKER_URL when set.
    if (env.FERRY_WORKER_URL) url = env.FERRY_WORKER_URL.replace(/\/+$/, '');
    else if ((host === '0.0.0.0' || host === '::') && address && typeof address === 'object') {
      const ip = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.1';
      url = `http://${ip}:${address.port}`;
    }
    worker = await ClusterWorker.start({ cluster, brokers, security, workerId, url, stateDir, log, sessionTimeoutMs: options.sessionTimeoutMs, heartbeatIntervalMs: options.heartbeatMs });
    pending.w = worker;
    log.info({ url, stateDir }, `worker ${workerId} joined cluster ${cluster} (${brokers.join(', ')}); HTTP at ${url}`);
    if (json) outJson({ ok: true, cluster, workerId, url });
    await new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
    return EXIT.OK;
  } catch (e: unknown) {
    log.error({ err: e }, 'worker failed');
    return reportError(e, json);
  } finally {
    await worker?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log.info('worker stopped');
    // Everything is closed and committed; a client library's lingering socket must not keep the process (and so a
    // rolling restart) waiting: exit after a short grace (unref: no wait when nothing lingers).
    setTimeout(() => {
      const handles = (process as unknown as { _getActiveHandles?: () => object[] })._getActiveHandles?.().map((h) => h.constructor.name) ?? [];
      log.debug({ handles }, 'exiting with handles still open');
      process.exit(process.exitCode ?? EXIT.OK);
    }, 2000).unref();
  }
}
