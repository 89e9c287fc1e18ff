/**
 * settings.stateEncryption (docs/security.md#encryption-at-rest): the key that encrypts what Ferry writes for
 * itself under settings.stateDir (and the claim-check objects and dead letters). Declared once here; the keyring
 * is state-keyring.ts.
 */
import { z } from 'zod';
import { Secret } from '../config/secrets.ts';

// Declared here rather than imported from settings-schema.ts, which imports this file.
const secret = () => z.string().min(1).meta({ secret: true }).transform((s) => new Secret(s));

export const stateEncryptionSchema = z.strictObject({
  kms: z.strictObject({
    keyId: z.string().min(1).meta({ description: 'The KMS key (key id, key ARN, alias/<name> or alias ARN) that wraps the state directory\'s data key (GenerateDataKey AES_256 when the state directory is created, Decrypt at every start). Fixed once the state directory exists.', examples: ['alias/ferry-state'] }),
    region: z.string().min(1).optional().meta({ description: 'AWS region. Default: AWS_REGION, else us-east-1.' }),
    endpoint: z.url().optional().meta({ description: 'KMS-compatible endpoint (moto, LocalStack).', examples: ['http://127.0.0.1:5000'] }),
    accessKeyId: z.string().min(1).optional().meta({ description: 'Access key id. Default: the AWS SDK’s credential chain.' }),
    secretAccessKey: secret().optional().meta({ description: 'Secret access key (with accessKeyId). Use ${env:NAME} or ${file:path}.', secret: true }),
  }).optional().meta({ description: 'Envelope encryption with a data key from AWS KMS.' }),
  keyFile: z.string().min(1).optional().meta({ description: 'A local key file for single-machine runs: 32 random bytes, raw or as 64 hex characters or base64 (`openssl rand -hex 32 > ferry-state.key; chmod 600 ferry-state.key`). It wraps the state directory\'s data key; the same key (not path) is needed at every start. Relative to the working directory.' }),
}).refine((s) => (s.kms === undefined) !== (s.keyFile === undefined), { message: 'set exactly one of kms and keyFile' })
  .optional().meta({ description: 'Encrypt Ferry\'s own state at rest (offsets, schema history, spill files, dead letters, notification spool, claim-check objects) with AES-256-GCM under a data key wrapped by KMS or a local key file. Chosen when the state directory is created; a different key (or turning it on or off) later is refused (docs/security.md#encryption-at-rest).' });

export type StateEncryptionSettings = NonNullable<z.output<typeof stateEncryptionSchema>>;
