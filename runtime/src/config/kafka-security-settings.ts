/**
 * Connection security of a Kafka cluster and of a schema registry, declared once with zod and shared by:
 *   - the task's own cluster (`kafka.tls`, `kafka.sasl`: settings-schema.ts),
 *   - the Kafka target sink (`targets[].tls`, `targets[].sasl`: sinks/kafka/src/config.ts),
 *   - the schema registry (`kafka.schemaRegistryTls`, `kafka.schemaRegistryAuth`).
 * Verification is on whenever TLS is: only `rejectUnauthorized: false` turns it off, and every start then logs a
 * warning (runtime/src/kafka/kafka-security.ts). The translation into client options is in
 * runtime/src/kafka/kafka-security.ts (Kafka) and schemas/src/registry-http.ts (registry).
 */
import { z } from 'zod';

const pem = (what: string) => z.string().min(1).meta({ description: `${what}: PEM text, or the path of a PEM file.` });

/** TLS options against a peer (`the brokers`, `the brokers’`; `the registry`, `the registry’s`). */
export function tlsObjectSchema(peer: string, peers: string) {
  return z.strictObject({
    ca: pem(`CA certificate(s) ${peers} certificates are checked against`).optional()
      .meta({ description: `CA certificate(s) ${peers} certificates are checked against: PEM text or a file path. Default: the system CAs (right for MSK, Confluent Cloud and most managed services).` }),
    cert: pem('Client certificate (mutual TLS)').optional(),
    key: z.string().min(1).optional().meta({ description: 'Client private key (mutual TLS): PEM text or a file path. Use ${file:path} or a path; never logged.', secret: true }),
    keyPassword: z.string().min(1).optional().meta({ description: 'Passphrase of the client key.', secret: true }),
    servername: z.string().min(1).optional().meta({ description: `TLS server name (SNI) to send and check, when it differs from the host name used to reach ${peer}.` }),
    rejectUnauthorized: z.boolean().default(true).meta({ description: `Check ${peers} certificates (CA and host name). false turns verification off and logs a warning at every start: local tests only.` }),
  });
}

export const tlsSchema = tlsObjectSchema('the brokers', 'the brokers’');
export type TlsSettings = z.output<typeof tlsSchema>;

export const saslSchema = z.discriminatedUnion('mechanism', [
  z.strictObject({
    mechanism: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).meta({ description: 'SASL mechanism.' }),
    username: z.string().min(1).meta({ description: 'SASL user.' }),
    password: z.string().min(1).meta({ description: 'Its password; use ${env:NAME} or ${file:path}. Never logged.', secret: true }),
  }),
  z.strictObject({
    mechanism: z.literal('aws-msk-iam').meta({ description: 'AWS MSK IAM: SASL/OAUTHBEARER with a SigV4-signed token, refreshed for every connection.' }),
    region: z.string().min(1).meta({ description: 'AWS region of the MSK cluster.', examples: ['eu-west-1'] }),
    accessKeyId: z.string().min(1).optional().meta({ description: 'Access key; default: the AWS default credential chain (env, profile, SSO, web identity, ECS/EC2 role).' }),
    secretAccessKey: z.string().min(1).optional().meta({ description: 'Its secret.', secret: true }),
    sessionToken: z.string().min(1).optional().meta({ description: 'Session token of temporary credentials.', secret: true }),
    profile: z.string().min(1).optional().meta({ description: 'Shared-config profile for the default credential chain.' }),
  }),
]);
export type SaslSettings = z.output<typeof saslSchema>;

/** `tls` of a Kafka cluster: false (plaintext), true (TLS, system CAs) or the TLS options. */
export const kafkaTlsField = (cluster: string) => z.union([z.boolean(), tlsSchema]).default(false)
  .meta({ description: `TLS to ${cluster}: true (verified against the system CAs), an object (CA, client certificate for mutual TLS, SNI; verified unless rejectUnauthorized is false), or false (plaintext).` });

/** `sasl` of a Kafka cluster. */
export const kafkaSaslField = () => saslSchema.optional()
  .meta({ description: 'SASL authentication: SCRAM-SHA-256/512 or PLAIN with a user and password, or AWS MSK IAM. Default: none. Use with tls for SASL_SSL listeners.' });

/** The security options of a Kafka cluster as parsed (both fields of the task's kafka block and of a kafka target). */
export interface KafkaSecuritySettings {
  readonly tls: boolean | TlsSettings;
  readonly sasl?: SaslSettings | undefined;
}

export const registryTlsSchema = tlsObjectSchema('the registry', 'the registry’s');
export type RegistryTlsSettings = z.output<typeof registryTlsSchema>;

export const registryAuthSchema = z.union([
  z.strictObject({
    username: z.string().min(1).meta({ description: 'HTTP Basic user (Confluent basic.auth.user.info).' }),
    password: z.string().min(1).meta({ description: 'Its password; use ${env:NAME}, ${file:path} or ${aws-sm:…}. Never logged.', secret: true }),
  }),
  z.strictObject({
    bearerToken: z.string().min(1).meta({ description: 'A static bearer token sent as `Authorization: Bearer …` (Confluent bearer.auth.token). Never logged.', secret: true }),
  }),
]);
export type RegistryAuthSettings = z.output<typeof registryAuthSchema>;

/** The security fields of the task's own kafka block (spread into kafkaSchema in settings-schema.ts). */
export const kafkaSecurityShape = {
  tls: kafkaTlsField('Ferry’s own cluster, for every client the task opens on it (source producer, `ferry sink` workers, offset store, signal and dead-letter topics, notifications, validate-data; docs/kafka.md)'),
  sasl: kafkaSaslField(),
  schemaRegistryTls: registryTlsSchema.optional().meta({ description: 'TLS options of an https:// schemaRegistry: a private CA, a client certificate (mutual TLS), SNI. Default: the system CAs. Verified unless rejectUnauthorized is false.' }),
  schemaRegistryAuth: registryAuthSchema.optional().meta({ description: 'Schema registry authentication: {username, password} (HTTP Basic) or {bearerToken}. Overrides user info in the schemaRegistry URL.' }),
};
