/**
 * `ferry serve --kafka-security <file>`: TLS and SASL of the Kafka-backed task store's cluster, from a YAML or JSON
 * file holding `tls` and `sasl` exactly as a task's kafka.tls and kafka.sasl (runtime/src/config/kafka-security-settings.ts),
 * with `${env:…}` / `${file:…}` references resolved. A file rather than flags, so no password shows in the process list.
 */
import { z } from 'zod';
import { FerryError } from '../../../core/src/errors.ts';
import type { Logger } from '../../../core/src/types.ts';
import { kafkaSaslField, kafkaTlsField } from '../../../runtime/src/config/kafka-security-settings.ts';
import { registerSecretValue, resolveSecretReferences, taskFileDir } from '../../../runtime/src/config/secrets.ts';
import type { KafkaSecurityOptions } from '../../../runtime/src/kafka/kafka-connection.ts';
import { kafkaSecurityOf, kafkaSecretsOf, warnIfUnverified } from '../../../runtime/src/kafka/kafka-security.ts';
import { parseTaskText, readTaskText } from '../task-file/input-limits.ts';

export const kafkaStoreSecuritySchema = z.strictObject({
  tls: kafkaTlsField('the task store’s brokers'),
  sasl: kafkaSaslField(),
});

/** Reads and validates the file; returns the connection's security options (and warns when verification is off). */
export function loadKafkaStoreSecurity(file: string, brokers: readonly string[], log: Logger): KafkaSecurityOptions {
  const raw = parseTaskText(readTaskText(file), file);
  const { value, problems } = resolveSecretReferences(raw ?? {}, { baseDir: taskFileDir(file), env: process.env });
  if (problems.length > 0) throw new FerryError('FERRY_SECRET_UNRESOLVED', `--kafka-security ${file}: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
  const parsed = kafkaStoreSecuritySchema.safeParse(value);
  if (!parsed.success) {
    throw new FerryError('FERRY_CONFIG_INVALID', `--kafka-security ${file}: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')} (expected tls and sasl as in a task's kafka block: docs/kafka.md)`);
  }
  for (const s of kafkaSecretsOf(parsed.data)) registerSecretValue(s);
  warnIfUnverified(parsed.data.tls, `Kafka ${brokers.join(', ')} (the task store)`, 'tls', log);
  return kafkaSecurityOf(parsed.data, '');
}
