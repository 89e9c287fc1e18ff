/**
 * The task's own Kafka cluster and schema registry as connection options: every producer, consumer and admin client
 * Ferry opens on that cluster (source producer, sink workers, offset store, signal channel, dead-letter topic,
 * notifications, validate-data, ferry validate) and every registry client go through these two functions, so the
 * kafka block's tls/sasl and schemaRegistryTls/schemaRegistryAuth apply everywhere.
 */
import type { Logger } from '../../../core/src/types.ts';
import type { KafkaSecuritySettings, RegistryAuthSettings, RegistryTlsSettings } from '../config/kafka-security-settings.ts';
import type { ConfluentRegistryClientOptions } from '../../../schemas/src/ConfluentRegistryClient.ts';
import type { KafkaConnectionOptions } from './kafka-connection.ts';
import type { KafkaPartitioner } from './kafka-partitioner.ts';
import { describeKafkaSecurity, kafkaSecurityOf, tlsOptionsOf, warnIfUnverified } from './kafka-security.ts';

/** The fields of a task's (resolved) kafka block these functions read. */
export interface TaskKafkaBlock extends KafkaSecuritySettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly schemaRegistry: string;
  readonly schemaRegistryTls?: RegistryTlsSettings | undefined;
  readonly schemaRegistryAuth?: RegistryAuthSettings | undefined;
  readonly partitioner?: KafkaPartitioner | undefined;
}

/** Connection options on the task's cluster; `clientId` defaults to kafka.clientId. */
export function taskKafkaConnection(k: Omit<TaskKafkaBlock, 'schemaRegistry'>, clientId: string = k.clientId): KafkaConnectionOptions {
  return { brokers: k.brokers, clientId, ...kafkaSecurityOf(k, 'kafka'), ...(k.partitioner ? { partitioner: k.partitioner } : {}) };
}

/** Registry client options (URL, TLS, basic or bearer auth) of the task's kafka block. */
export function taskRegistryOptions(k: Pick<TaskKafkaBlock, 'schemaRegistry' | 'schemaRegistryTls' | 'schemaRegistryAuth'>): Pick<ConfluentRegistryClientOptions, 'url' | 'tls' | 'tlsOption' | 'username' | 'password' | 'bearerToken'> {
  const tls = k.schemaRegistryTls ? tlsOptionsOf(k.schemaRegistryTls, 'kafka.schemaRegistryTls') : undefined;
  const a = k.schemaRegistryAuth;
  return {
    url: k.schemaRegistry, tlsOption: 'kafka.schemaRegistryTls', ...(tls ? { tls } : {}),
    ...(a && 'bearerToken' in a ? { bearerToken: a.bearerToken } : a ? { username: a.username, password: a.password } : {}),
  };
}

/**
 * Logs, once per start, how the task reaches its cluster and registry, and a warning for each with certificate
 * verification turned off (kafka.tls.rejectUnauthorized / kafka.schemaRegistryTls.rejectUnauthorized: false).
 */
export function logTaskKafkaSecurity(k: TaskKafkaBlock, log: Logger): void {
  warnIfUnverified(k.tls, `Kafka ${k.brokers.join(', ')}`, 'kafka.tls', log);
  if (k.schemaRegistry.startsWith('https:')) warnIfUnverified(k.schemaRegistryTls, `the schema registry at ${k.schemaRegistry.replace(/\/\/[^@/]*@/, '//')}`, 'kafka.schemaRegistryTls', log);
  if (k.tls !== false || k.sasl) log.info({ brokers: k.brokers, security: describeKafkaSecurity(k) }, `Kafka ${k.brokers.join(', ')}: ${describeKafkaSecurity(k)}`);
}
