/**
 * `ferry serve --state-key-file <path>` / `--state-kms-key <keyId>`: the state encryption of the server's own
 * state directory (the SQLite task store), as settings.stateEncryption is for a task's (docs/security.md).
 * The KMS region and endpoint come from the AWS SDK's environment (AWS_REGION, AWS_ENDPOINT_URL_KMS).
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { StateEncryptionSettings } from '../../../runtime/src/encryption/state-encryption-settings.ts';

export function serveStateEncryption(o: { readonly stateKeyFile?: string | undefined; readonly stateKmsKey?: string | undefined }): StateEncryptionSettings | undefined {
  if (o.stateKeyFile !== undefined && o.stateKmsKey !== undefined) throw new FerryError('FERRY_USAGE', 'give one of --state-key-file and --state-kms-key, not both');
  if (o.stateKeyFile !== undefined) return { keyFile: o.stateKeyFile };
  if (o.stateKmsKey !== undefined) return { kms: { keyId: o.stateKmsKey } };
  return undefined;
}
