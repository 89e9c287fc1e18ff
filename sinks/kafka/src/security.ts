/**
 * The target cluster's connection security (TLS, SASL/SCRAM, AWS MSK IAM) as Kafka-client options, and the
 * translation of the client's connection errors into messages that name the problem and the fix. Secrets (the SASL
 * password, the client key and its passphrase, AWS secret keys) never appear in messages or logs.
 */
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { tlsFailureOf, tlsFixOf } from '../../../core/src/tls-failure.ts';
import type { KafkaConnectionOptions } from '../../../runtime/src/kafka/kafka-client.ts';
import { describeKafkaSecurity, kafkaSecretsOf, kafkaSecurityOf } from '../../../runtime/src/kafka/kafka-security.ts';
import type { KafkaTargetConfig } from './config.ts';

// The declaration and its translation are shared with the task's own cluster (runtime/src/config/kafka-security-settings.ts,
// runtime/src/kafka/kafka-security.ts); what stays here is the target's wording of its errors.

export function connectionOf(c: KafkaTargetConfig, clientId = c.clientId): KafkaConnectionOptions {
  return { brokers: c.brokers, clientId, timeoutMs: c.timeoutMs, ...kafkaSecurityOf(c, '') };
}

/** A short description of how the sink connects, for logs (no secrets). */
export function describeSecurity(c: KafkaTargetConfig): string {
  return describeKafkaSecurity(c);
}

/** Every message of an error and its causes, for classification. */
function allText(e: unknown, depth = 0): string {
  if (depth > 6 || e === null || e === undefined) return '';
  const any = e as { errors?: unknown[]; cause?: unknown; code?: unknown; apiId?: unknown };
  const parts = [errorMessage(e), typeof any.code === 'string' ? any.code : '', typeof any.apiId === 'string' ? any.apiId : ''];
  if (Array.isArray(any.errors)) for (const x of any.errors.slice(0, 5)) parts.push(allText(x, depth + 1));
  if (any.cause) parts.push(allText(any.cause, depth + 1));
  return parts.filter(Boolean).join(' | ');
}

/** Removes every secret of the config from a text (defence in depth: the client's messages should not hold them). */
export function redact(text: string, c: KafkaTargetConfig): string {
  const secrets = kafkaSecretsOf(c);
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}

/**
 * A target-cluster failure as a FerryError that says what is wrong and how to fix it. Authentication and TLS
 * problems are fatal (retrying cannot fix a wrong password); anything else is retried by the runtime.
 */
export function explainTargetError(e: unknown, c: KafkaTargetConfig, what: string): FerryError {
  // The client's own errors (not the wording runtime/src/kafka/kafka-connection.ts gives the task's cluster).
  const text = redact(allText(e instanceof FerryError && e.code.startsWith('FERRY_KAFKA_') && e.cause !== undefined ? e.cause : e), c);
  const where = `the Kafka target ${c.brokers.join(', ')}`;
  const how = describeSecurity(c);
  const fatal = (msg: string) => new FerryError('FERRY_KAFKA_ERROR', msg, { disposition: 'fatal', details: { brokers: c.brokers, security: how } });
  if (/SASL_AUTHENTICATION_FAILED|Authentication failed|authentication fail|invalid credentials|Invalid SASL|SaslAuthenticate/i.test(text)) {
    return fatal(`${where} rejected the SASL credentials (${how}) while trying to ${what}. Check sasl.username and sasl.password (the password is not shown), and that the user exists for this mechanism on the cluster (kafka-configs --alter --add-config 'SCRAM-SHA-512=[password=…]' --entity-type users)`);
  }
  if (/UNSUPPORTED_SASL_MECHANISM|ILLEGAL_SASL_STATE|mechanism.*not (enabled|supported)/i.test(text)) {
    return fatal(`${where} does not accept SASL mechanism ${c.sasl?.mechanism ?? '(none)'} (${how}). Set sasl.mechanism to one the listener enables (sasl.enabled.mechanisms)`);
  }
  const failure = c.tls === false ? undefined : tlsFailureOf(e);
  if (failure && failure.kind !== 'not-tls') {
    return fatal(`TLS to ${where} failed while trying to ${what}: ${failure.reason}; ${tlsFixOf(failure.kind, 'tls')}`);
  }
  const cert = /[^:|.]*(self[- ]signed|unable to verify|UNABLE_TO_GET_ISSUER|CERT_|certificate|Hostname\/IP does not match|ERR_TLS|altnames)[^:|.]*/i.exec(text);
  if (cert) {
    return fatal(`TLS to ${where} failed while trying to ${what}: ${cert[0].trim()}. Check tls.ca (the CA that signed the brokers’ certificates; default: the system CAs) and tls.servername`);
  }
  if (/wrong version number|requires TLS|EPROTO|packet length too long|ssl3_get_record|first record does not look like a TLS handshake/i.test(text)) {
    return fatal(`${where} and the sink disagree about TLS (${how}) while trying to ${what}: ${text.slice(0, 200)}. Set tls to match the listener: true/object for SSL or SASL_SSL listeners, false for PLAINTEXT or SASL_PLAINTEXT`);
  }
  if (!c.sasl && /ECONNRESET|socket hang up|Connection closed|closed the connection|ended|timed? ?out|Timeout/i.test(text)) {
    // Retried (a broker restart looks the same), but the message says what to change when it persists.
    return new FerryError('FERRY_KAFKA_ERROR', `${where} closed the connection or did not answer while trying to ${what} (${how}): ${text.slice(0, 200)}. If its listener requires SASL (SASL_SSL / SASL_PLAINTEXT), set sasl (mechanism, username, password, or aws-msk-iam); otherwise check that the brokers run and the port is that of the listener`, { cause: e, details: { brokers: c.brokers, security: how } });
  }
  if (e instanceof FerryError) return new FerryError(e.code, redact(e.message, c), { cause: e, disposition: e.disposition });
  return new FerryError('FERRY_KAFKA_ERROR', `${where}: ${what} failed: ${text.slice(0, 500)}`, { cause: e });
}
