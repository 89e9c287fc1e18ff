/**
 * A Kafka cluster's connection security (TLS, mutual TLS, SASL PLAIN/SCRAM, AWS MSK IAM) as declared in
 * runtime/src/config/kafka-security-settings.ts, turned into the client's connection options. Used for the task's
 * own cluster (every producer, consumer and admin Ferry opens on it) and for the Kafka target sink. Secrets (the SASL
 * password, the client key and its passphrase, AWS secret keys) never appear in messages or logs.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';
import type { KafkaSecuritySettings, SaslSettings, TlsSettings } from '../config/kafka-security-settings.ts';
import type { KafkaConnectionOptions, KafkaSasl } from './kafka-connection.ts';
import { mskIamTokenProvider } from './msk-iam.ts';

/** PEM text as is, or the contents of the file it names; `option` names the field in the error (`kafka.tls.ca`). */
export function pemOrFile(v: string, option: string): string {
  if (v.includes('-----BEGIN')) return v;
  try {
    return readFileSync(v, 'utf8');
  } catch (e: unknown) {
    throw new FerryError('FERRY_CONFIG_INVALID', `${option}: cannot read ${v} (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}); give PEM text or the path of a readable PEM file`);
  }
}

/** node:tls options of TLS settings (`prefix` = the option path for messages, e.g. `kafka.tls`); undefined = plaintext. */
export function tlsOptionsOf(c: boolean | TlsSettings, prefix = 'tls'): TlsOptions | undefined {
  if (c === false) return undefined;
  if (c === true) return { rejectUnauthorized: true };
  return {
    rejectUnauthorized: c.rejectUnauthorized,
    ...(c.ca ? { ca: pemOrFile(c.ca, `${prefix}.ca`) } : {}),
    ...(c.cert ? { cert: pemOrFile(c.cert, `${prefix}.cert`) } : {}),
    ...(c.key ? { key: pemOrFile(c.key, `${prefix}.key`) } : {}),
    ...(c.keyPassword ? { passphrase: c.keyPassword } : {}),
    ...(c.servername ? { servername: c.servername } : {}),
  };
}

export function saslOptionsOf(c: SaslSettings | undefined): KafkaSasl | undefined {
  if (!c) return undefined;
  if (c.mechanism === 'aws-msk-iam') return { mechanism: 'OAUTHBEARER', token: mskIamTokenProvider(c) };
  const mechanism = c.mechanism === 'plain' ? 'PLAIN' : c.mechanism === 'scram-sha-256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
  return { mechanism, username: c.username, password: c.password };
}

/**
 * The security part of KafkaConnectionOptions (tls, sasl, and the option path for messages: `kafka` for the task's
 * cluster, '' for a target's own options), to spread into a connection:
 * `createProducer({ brokers, clientId, ...kafkaSecurityOf(task.kafka, 'kafka') })`.
 */
export function kafkaSecurityOf(c: KafkaSecuritySettings, optionPath: string): Pick<KafkaConnectionOptions, 'tls' | 'sasl' | 'optionPath'> {
  const tls = tlsOptionsOf(c.tls, optionPath ? `${optionPath}.tls` : 'tls');
  const sasl = saslOptionsOf(c.sasl);
  return { ...(tls ? { tls } : {}), ...(sasl ? { sasl } : {}), optionPath };
}

/** A short description of how a cluster is reached, for logs (no secrets). */
export function describeKafkaSecurity(c: KafkaSecuritySettings): string {
  const tls = c.tls === false ? 'plaintext' : typeof c.tls === 'object' && !c.tls.rejectUnauthorized ? 'TLS (certificates NOT verified)' : typeof c.tls === 'object' && c.tls.cert ? 'mutual TLS' : 'TLS';
  const sasl = !c.sasl ? 'no SASL' : c.sasl.mechanism === 'aws-msk-iam' ? `AWS MSK IAM (${c.sasl.region})` : `SASL ${c.sasl.mechanism.toUpperCase()} as ${c.sasl.username}`;
  return `${tls}, ${sasl}`;
}

/** The secret values of the settings (for redaction of client messages; defence in depth). */
export function kafkaSecretsOf(c: KafkaSecuritySettings): string[] {
  const out: string[] = [];
  if (c.sasl && c.sasl.mechanism !== 'aws-msk-iam') out.push(c.sasl.password);
  if (c.sasl && c.sasl.mechanism === 'aws-msk-iam') out.push(...[c.sasl.secretAccessKey, c.sasl.sessionToken].filter((x): x is string => !!x));
  if (typeof c.tls === 'object' && c.tls.keyPassword) out.push(c.tls.keyPassword);
  return out;
}

/**
 * Verification off (`rejectUnauthorized: false`) is allowed only by that explicit option, and said at every start:
 * call once per start for each cluster or registry. Returns whether it warned.
 */
export function warnIfUnverified(tls: boolean | TlsSettings | undefined, where: string, option: string, log: Logger): boolean {
  if (typeof tls !== 'object' || tls.rejectUnauthorized) return false;
  log.warn({ endpoint: where, option: `${option}.rejectUnauthorized` }, `TLS certificate verification is OFF for ${where} (${option}.rejectUnauthorized: false): the connection is encrypted but not authenticated, so a man in the middle can read and change it. Set ${option}.ca instead`);
  return true;
}
