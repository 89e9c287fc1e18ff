/** Connection options, record shapes and error wrapping shared by the Kafka modules (kafka-client.ts re-exports all). */
import type { KafkaPartitioner } from './kafka-partitioner.ts';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { IncomingRecord } from '../../../core/src/kafka-record.ts';
import { tlsFailureMessage, tlsFailureOf } from '../../../core/src/tls-failure.ts';

export type { IncomingRecord };

/** SASL for a secured cluster (the task's own cluster or a Kafka target sink's: kafka-security.ts builds it). */
export type KafkaSasl =
  | { readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; readonly username: string; readonly password: string }
  /** `token` is called for every new connection (and re-authentication), e.g. a fresh AWS MSK IAM token. */
  | { readonly mechanism: 'OAUTHBEARER'; readonly token: () => Promise<string> };

export interface KafkaConnectionOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Request timeout in ms; default 30000. */
  readonly timeoutMs?: number;
  /** TLS to the brokers (node:tls options: ca, cert, key, servername, rejectUnauthorized); omitted = plaintext. */
  readonly tls?: TlsOptions;
  readonly sasl?: KafkaSasl;
  /** Where tls and sasl are configured, for messages: `kafka` (the task's cluster), '' (a target's own tls, sasl). Default `kafka`. */
  readonly optionPath?: string;
  /** How producers map a key to a partition (kafka-partitioner.ts); default `murmur2`, Kafka's Java clients' choice. */
  readonly partitioner?: KafkaPartitioner;
}

/** The security part of connection options (kafka-security.ts builds it from the declared settings). */
export type KafkaSecurityOptions = Pick<KafkaConnectionOptions, 'tls' | 'sasl' | 'optionPath'>;

/** The client's security options for a connection (nothing for plaintext without SASL). */
export function securityOf(o: KafkaConnectionOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.tls) out.tls = o.tls;
  if (o.sasl) out.sasl = o.sasl.mechanism === 'OAUTHBEARER' ? { mechanism: 'OAUTHBEARER', token: o.sasl.token } : { mechanism: o.sasl.mechanism, username: o.sasl.username, password: o.sasl.password };
  return out;
}

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface OutgoingRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  /** null = tombstone. */
  readonly value: Buffer | null;
  readonly partition?: number;
  readonly headers?: ReadonlyMap<string, Buffer>;
  /** CreateTime in ms; default now. */
  readonly timestampMs?: number;
}

export interface RecordProducer {
  /**
   * Resolves when every record is acknowledged by all in-sync replicas. Records keep their order per partition.
   * Large sends are split into requests of at most ~`maxRequestBytes` (sent one after another, so order holds):
   * the broker limits each partition's record batch to the topic's max.message.bytes.
   */
  send(records: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Per-request payload budget: below the broker's default max.message.bytes (1 MiB) with room for headers. */
export const DEFAULT_MAX_REQUEST_BYTES = 900 * 1024;
/** Records per request: ~1000 measured fastest (bench/kafka-clients, docs/dependencies.md). */
export const MAX_REQUEST_RECORDS = 1000;

export const brokersOf = (o: KafkaConnectionOptions): string[] => [...o.brokers];

export function wrap(e: unknown, what: string, o: KafkaConnectionOptions): FerryError {
  if (e instanceof FerryError) return e;
  const security = securityError(e, what, o);
  if (security) return security;
  const msg = collectMessages(e);
  if (/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Cannot connect|connect to any broker/i.test(msg)) {
    return new FerryError('FERRY_KAFKA_UNREACHABLE', `cannot reach Kafka at ${o.brokers.join(', ')} (${what}): ${msg}. Check kafka.brokers, and that the broker runs (npm run services:status)`, { cause: e });
  }
  return new FerryError('FERRY_KAFKA_ERROR', `Kafka ${what} failed: ${msg}`, { cause: e });
}

/** Error text including nested causes / AggregateErrors, which the client uses for per-broker failures. */
export function collectMessages(e: unknown, depth = 0): string {
  if (depth > 4 || e === null || e === undefined) return '';
  const parts = [errorMessage(e)];
  const any = e as { errors?: unknown[]; cause?: unknown; code?: string };
  if (Array.isArray(any.errors)) for (const x of any.errors.slice(0, 3)) parts.push(collectMessages(x, depth + 1));
  if (any.cause) parts.push(collectMessages(any.cause, depth + 1));
  return [...new Set(parts.filter(Boolean))].join(': ');
}

/**
 * A TLS or SASL failure as a fatal one-line FerryError naming the brokers, the reason and the option that fixes it
 * (retrying cannot fix a wrong CA or password); undefined for any other error.
 */
export function securityError(e: unknown, what: string, o: KafkaConnectionOptions): FerryError | undefined {
  const at = o.optionPath ?? 'kafka';
  const opt = (name: string) => (at === '' ? name : `${at}.${name}`);
  const endpoint = `Kafka ${o.brokers.join(', ')}`;
  const details = { brokers: o.brokers, option: at };
  if (o.tls) {
    const f = tlsFailureOf(e);
    if (f) return new FerryError('FERRY_KAFKA_ERROR', `${tlsFailureMessage(endpoint, f, opt('tls'))} (while trying to ${what})`, { cause: e, disposition: 'fatal', details: { ...details, reason: f.kind } });
  }
  const text = collectMessages(e);
  if (/SASL_AUTHENTICATION_FAILED|Authentication failed|authentication fail|invalid credentials|Invalid SASL/i.test(text)) {
    const who = o.sasl && o.sasl.mechanism !== 'OAUTHBEARER' ? ` for user ${o.sasl.username} (${o.sasl.mechanism})` : o.sasl ? ' (AWS MSK IAM)' : '';
    return new FerryError('FERRY_KAFKA_ERROR', `${endpoint} rejected the SASL credentials${who} while trying to ${what}; check ${opt('sasl')} (the password is not shown) and that the user exists for this mechanism on the cluster`, { cause: e, disposition: 'fatal', details });
  }
  if (o.tls && /TLS handshake failed/i.test(text)) {
    return new FerryError('FERRY_KAFKA_ERROR', `TLS to ${endpoint} failed: the handshake did not complete (a plaintext listener on this port?) while trying to ${what}; use the port of the brokers' SSL or SASL_SSL listener, or set ${opt('tls')}: false for a PLAINTEXT listener`, { cause: e, details });
  }
  // A listener that requires a client certificate (or SASL) closes the connection right after the TLS handshake,
  // without an alert the client surfaces: retried (a broker restart looks the same), with the likely fixes named.
  if (o.tls && !o.tls.cert && /Connection closed|ECONNRESET|socket hang up/i.test(text)) {
    const fixes = [`if its listener requires a client certificate (ssl.client.auth=required), set ${opt('tls.cert')} and ${opt('tls.key')}`, ...(o.sasl ? [] : [`if it requires SASL (SASL_SSL), set ${opt('sasl')}`])];
    return new FerryError('FERRY_KAFKA_ERROR', `${endpoint} closed the connection after the TLS handshake while trying to ${what}: ${fixes.join('; ')}; otherwise check that the brokers run and the port is that of the TLS listener`, { cause: e, details });
  }
  return undefined;
}
