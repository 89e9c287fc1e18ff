/**
 * Debezium under Kafka Connect standalone, for the side-by-side benchmark (bench/vs-debezium.ts): one connector per
 * JVM, the JVM spawned directly (so its pid is the one measured), Avro through the local Apicurio registry with the
 * Confluent wire format (magic byte + 4-byte id, ids the registry's ccompat API serves), offsets in a file in the
 * run's folder (kept across restarts of the same connector name). Jars: bench/debezium/fetch.sh.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { services } from '../../test/helpers/services.ts';
import { nextStats, type ProcStats } from '../lib/process-stats.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const DEBEZIUM_VERSIONS = { mariadb: '3.5.0.Final', postgres: '3.6.1.Final' } as const;

export interface DebeziumOptions {
  readonly engine: 'mariadb' | 'postgres';
  /** Connector name; also names the offsets, history and log files in `dir`. */
  readonly name: string;
  readonly topicPrefix: string;
  /** MariaDB database or PostgreSQL schema (in database `shop`). */
  readonly schema: string;
  readonly tables: readonly string[];
  /** initial = snapshot then stream; no_data = stream from the current position. */
  readonly snapshot: 'initial' | 'no_data';
  readonly dir: string;
  readonly restPort: number;
  /** PostgreSQL slot and publication name (lower case). */
  readonly slotName: string;
  /** The tuned profile of performance.md §2 (batch 20k, queue 100k, poll 100 ms, producer 1 MB / 20 ms / lz4). */
  readonly tuned?: boolean;
  readonly heap?: string;
}

export interface DebeziumProcess {
  readonly child: ChildProcess;
  stats(): ProcStats;
  /** true once the connector and its task report RUNNING on the REST API. */
  running(): Promise<boolean>;
  /** SIGTERM (Connect stops the task and flushes offsets) and wait for the exit. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
  readonly log: string;
}

export function libDir(engine: 'mariadb' | 'postgres' | 'jdbc'): string {
  const dir = join(process.env.FERRY_DEBEZIUM_HOME ?? join(ROOT, '.tools', 'debezium'), engine);
  if (!existsSync(join(dir, '.complete'))) throw new Error(`Debezium jars missing in ${dir}: run bash bench/debezium/fetch.sh`);
  return dir;
}

function props(o: Record<string, string | number>): string {
  return Object.entries(o).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

export function startDebezium(o: DebeziumOptions): DebeziumProcess {
  const common = {
    name: o.name, 'tasks.max': 1, 'topic.prefix': o.topicPrefix, 'snapshot.mode': o.snapshot,
    'topic.creation.default.replication.factor': 1, 'topic.creation.default.partitions': 1,
    'table.include.list': o.tables.map((t) => `${o.schema}.${t}`).join(','),
    ...(o.tuned ? { 'max.batch.size': 20000, 'max.queue.size': 100000, 'poll.interval.ms': 100 } : {}),
  };
  const connector = o.engine === 'postgres' ? {
    ...common, 'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'database.hostname': services.postgres.host, 'database.port': services.postgres.port, 'database.user': 'cdc', 'database.password': 'cdc',
    'database.dbname': 'shop', 'plugin.name': 'pgoutput', 'slot.name': o.slotName, 'publication.name': o.slotName,
    'publication.autocreate.mode': 'filtered',
  } : {
    ...common, 'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
    'database.hostname': services.mariadb.host, 'database.port': services.mariadb.port, 'database.user': 'cdc', 'database.password': 'cdc',
    'database.server.id': 5400 + Math.floor(Math.random() * 500), 'database.ssl.mode': 'disable', 'database.include.list': o.schema,
    'schema.history.internal': 'io.debezium.storage.file.history.FileSchemaHistory',
    'schema.history.internal.file.filename': join(o.dir, `${o.name}.history.dat`),
    // The shared test MariaDB holds other tests' databases, whose DDL Debezium parses too (database.include.list does
    // not stop that): its grammar refuses valid statements such as DROP TABLE IF EXISTS `db'`.`Name.` (made by
    // test/e2e/identifier-quoting.test.ts), which would stop the connector. So unparseable DDL is skipped (the test's own DDL parses).
    'schema.history.internal.skip.unparseable.ddl': 'true', 'schema.history.internal.store.only.captured.databases.ddl': 'true',
  };
  return startConnect({ name: o.name, dir: o.dir, restPort: o.restPort, lib: libDir(o.engine), connector, ...(o.heap ? { heap: o.heap } : {}),
    worker: o.tuned ? { 'producer.batch.size': 1048576, 'producer.linger.ms': 20, 'producer.compression.type': 'lz4' } : {} });
}

export interface ConnectOptions {
  /** Connector name; also names the offsets, log and properties files in `dir`. */
  readonly name: string;
  readonly dir: string;
  readonly restPort: number;
  /** The folder of jars (libDir). */
  readonly lib: string;
  /** The connector's properties (connector.class and its own keys). */
  readonly connector: Record<string, string | number>;
  /** Extra worker properties. */
  readonly worker?: Record<string, string | number>;
  readonly heap?: string;
}

/** Kafka Connect standalone with one connector (source or sink), Avro through the local Apicurio registry. */
export function startConnect(o: ConnectOptions): DebeziumProcess {
  const apicurio = `http://127.0.0.1:${new URL(services.registryUrl).port}/apis/registry/v2`;
  const converter: Record<string, string> = {};
  for (const side of ['key', 'value']) {
    Object.assign(converter, {
      [`${side}.converter`]: 'io.apicurio.registry.utils.converter.AvroConverter',
      [`${side}.converter.apicurio.registry.url`]: apicurio,
      [`${side}.converter.apicurio.registry.auto-register`]: 'true',
      [`${side}.converter.apicurio.registry.find-latest`]: 'true',
      // Confluent wire format in the payload (not Apicurio headers), with the content id the ccompat API serves.
      [`${side}.converter.apicurio.registry.headers.enabled`]: 'false',
      [`${side}.converter.apicurio.registry.as-confluent`]: 'true',
      [`${side}.converter.apicurio.registry.use-id`]: 'contentId',
    });
  }
  const worker = join(o.dir, `${o.name}.worker.properties`);
  writeFileSync(worker, props({
    'bootstrap.servers': services.brokers.join(','), listeners: `http://127.0.0.1:${o.restPort}`,
    ...converter,
    'offset.storage.file.filename': join(o.dir, `${o.name}.offsets`), 'offset.flush.interval.ms': 1000,
    ...o.worker,
  }));
  const connectorFile = join(o.dir, `${o.name}.connector.properties`);
  writeFileSync(connectorFile, props(o.connector));
  const log4j = join(o.dir, 'connect-log4j2.properties');
  writeFileSync(log4j, props({
    status: 'warn', 'appender.out.type': 'Console', 'appender.out.name': 'OUT', 'appender.out.layout.type': 'PatternLayout',
    'appender.out.layout.pattern': '[%d] %p %m (%c)%n', 'rootLogger.level': 'INFO', 'logger.dbz.name': 'io.debezium', 'logger.dbz.level': process.env.FERRY_DEBEZIUM_LOG_LEVEL ?? 'INFO', 'rootLogger.appenderRef.out.ref': 'OUT',
  }));
  const log = join(o.dir, `${o.name}.log`);
  const out = openSync(log, 'a');
  // The JVM flags of Kafka's own kafka-run-class.sh / connect-standalone.sh (heap 256M..2G, G1, 20 ms pause target).
  const child = spawn(process.env.FERRY_JAVA ?? 'java', [
    '-Xms256m', `-Xmx${o.heap ?? '2g'}`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`,
    '-cp', `${o.lib}/*`, 'org.apache.kafka.connect.cli.ConnectStandalone', worker, connectorFile,
  ], { stdio: ['ignore', out, out] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let last: ProcStats = { cpuSeconds: 0, peakRssMb: 0, rssMb: 0 };
  return {
    child, exited, log,
    stats() {
      last = nextStats(child.pid!, last);
      return last;
    },
    async running() {
      try {
        const s = (await (await fetch(`http://127.0.0.1:${o.restPort}/connectors/${o.name}/status`)).json()) as { connector?: { state: string }; tasks?: { state: string; trace?: string }[] };
        const failed = s.tasks?.find((t) => t.state === 'FAILED');
        const causes = (failed?.trace ?? '').split('\n').filter((l, i) => i === 0 || l.startsWith('Caused by')).map((l) => l.slice(0, 300));
        if (failed) throw new Error(`Debezium task FAILED: ${causes.join(' / ')} (log: ${log})`);
        return s.connector?.state === 'RUNNING' && (s.tasks ?? []).length > 0 && s.tasks!.every((t) => t.state === 'RUNNING');
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('Debezium task FAILED')) throw e;
        return false;
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export interface JdbcSinkOptions {
  readonly name: string;
  readonly dir: string;
  readonly restPort: number;
  /** The topics to consume (a regular expression, Connect's topics.regex). */
  readonly topicsRegex: string;
  /** e.g. jdbc:postgresql://127.0.0.1:5432/target or jdbc:mariadb://127.0.0.1:3306/target */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** Target table name format; Debezium's default is the topic name with dots turned to underscores. */
  readonly tableNameFormat?: string;
  readonly batchSize?: number;
  readonly heap?: string;
}

/**
 * Debezium's JDBC sink connector (io.debezium:debezium-connector-jdbc, bench/debezium/fetch.sh jdbc) consuming
 * Debezium-envelope Avro topics into a database: upserts keyed by the record key, deletes applied, tables created and
 * evolved from the record schemas. Its consumer group is Connect's: connect-<name>.
 */
export function startJdbcSink(o: JdbcSinkOptions): DebeziumProcess {
  return startConnect({
    name: o.name, dir: o.dir, restPort: o.restPort, lib: libDir('jdbc'), ...(o.heap ? { heap: o.heap } : {}),
    worker: { 'consumer.auto.offset.reset': 'earliest', 'consumer.max.poll.records': o.batchSize ?? 500 },
    connector: {
      name: o.name, 'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector', 'tasks.max': 1,
      'topics.regex': o.topicsRegex, 'connection.url': o.url, 'connection.username': o.user, 'connection.password': o.password,
      'insert.mode': 'upsert', 'delete.enabled': 'true', 'primary.key.mode': 'record_key', 'schema.evolution': 'basic',
      'use.time.zone': 'UTC', 'batch.size': o.batchSize ?? 500,
      ...(o.tableNameFormat ? { 'collection.name.format': o.tableNameFormat } : {}),
    },
  });
}
