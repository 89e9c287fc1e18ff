/**
 * The plugin registry: every source and sink Ferry ships, one line each. Adding a source or a sink means adding
 * its folder (connectors/<name>/ or sinks/<name>/, exporting a descriptor from src/descriptor.ts) and one line here.
 *
 * The descriptors are cheap modules (option declarations and plain data); each one loads its driver or SDK only
 * when a task uses it (core/src/plugin.ts). The task-file schema and its docs, `ferry validate`, `ferry plan`,
 * task assembly and the sink worker all read these two lists, and nothing else names a plugin.
 */
import { FerryError } from '../../core/src/errors.ts';
import type { SinkPlugin, SourcePlugin } from '../../core/src/plugin.ts';
import type { SourceInfo } from '../../core/src/types.ts';
import { mysqlSource } from '../../connectors/mysql-binlog/src/descriptor.ts';
import { postgresSource } from '../../connectors/postgres-logical/src/descriptor.ts';
import { lakeSink } from '../../sinks/s3-lake/src/descriptor.ts';
import { redshiftSink } from '../../sinks/redshift/src/descriptor.ts';
import { kinesisSink } from '../../sinks/kinesis/src/descriptor.ts';
import { dynamoDbSink } from '../../sinks/dynamodb/src/descriptor.ts';
import { kafkaSink } from '../../sinks/kafka/src/descriptor.ts';
import { postgresSink } from '../../sinks/postgres/src/descriptor.ts';
import { mysqlSink } from '../../sinks/mysql/src/descriptor.ts';
import { icebergSink } from '../../sinks/iceberg/src/descriptor.ts';

export const SOURCE_PLUGINS: readonly SourcePlugin[] = [
  mysqlSource,
  postgresSource,
];

export const SINK_PLUGINS: readonly SinkPlugin[] = [
  lakeSink,
  redshiftSink,
  kinesisSink,
  dynamoDbSink,
  kafkaSink,
  postgresSink,
  mysqlSink,
  icebergSink,
];

/** Every `source.engine` value, in registry order. */
export const SOURCE_ENGINES: readonly string[] = SOURCE_PLUGINS.flatMap((p) => p.engines);

/** Every `targets[].type` value a plugin serves, in registry order. */
export const SINK_TYPES: readonly string[] = SINK_PLUGINS.flatMap((p) => p.types);

export function sourcePlugin(engine: string): SourcePlugin {
  const p = SOURCE_PLUGINS.find((x) => x.engines.includes(engine));
  if (!p) throw new FerryError('FERRY_UNSUPPORTED', `no source plugin serves engine "${engine}" (available: ${SOURCE_ENGINES.join(', ')})`);
  return p;
}

export function sinkPlugin(type: string): SinkPlugin {
  const p = SINK_PLUGINS.find((x) => x.types.includes(type));
  if (!p) throw new FerryError('FERRY_UNSUPPORTED', `the "${type}" sink is not available in this version of Ferry`);
  return p;
}

/** Debezium's connector name (`source.connector`) for a task's engine. */
export function connectorName(engine: string): SourceInfo['connector'] {
  return sourcePlugin(engine).connectorName(engine);
}
