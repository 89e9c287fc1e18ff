/**
 * The state directory's data key and how it is wrapped (envelope encryption):
 *   - kms: GenerateDataKey (AES_256) when the state directory is created; only the CiphertextBlob is kept, and
 *     Decrypt unwraps it at every start. The encryption context {ferry: "state-keyring", keyring: <id>} binds the
 *     blob to its keyring.
 *   - keyFile: a random 256-bit data key, wrapped with AES-256-GCM under the key file's 32 bytes (associated data:
 *     "ferry-state-keyring:<id>"). The file's key is identified by a fingerprint (SHA-256 of "ferry-key-file:" +
 *     the key, first 16 bytes in hex), never by its path.
 * The AWS SDK (@aws-sdk/client-kms) is loaded only when a kms key is used.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as KmsSdk from '@aws-sdk/client-kms';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { StateEncryptionSettings } from './state-encryption-settings.ts';
import { awsClientTls } from '../aws/aws-tls.ts';

/** How the data key is wrapped, as keyring.json records it. */
export type KeyWrap =
  | { readonly type: 'kms'; readonly keyId: string; readonly keyArn: string; readonly ciphertextBlob: string }
  | { readonly type: 'keyFile'; readonly fingerprint: string; readonly nonce: string; readonly wrapped: string };

/** The key a wrap came from, in words for messages (never a secret). */
export function describeWrap(w: { type: 'kms'; keyId: string } | { type: 'keyFile'; fingerprint: string }): string {
  return w.type === 'kms' ? `KMS key ${w.keyId}` : `key file with fingerprint ${w.fingerprint}`;
}

/** Reads a key file: 32 raw bytes, 64 hex characters, or base64 of 32 bytes (surrounding white space ignored). */
export function readKeyFile(path: string): Buffer {
  const full = resolve(path);
  let raw: Buffer;
  try {
    raw = readFileSync(full);
  } catch (e: unknown) {
    throw new FerryError('FERRY_STATE_KEY_UNAVAILABLE', `cannot read the state key file ${full} (settings.stateEncryption.keyFile): ${errorMessage(e)}. The state directory cannot be read without it; restore the file`, { cause: e });
  }
  if (raw.length === 32) return raw;
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const b = Buffer.from(text, 'base64');
    if (b.length === 32) return b;
  }
  throw new FerryError('FERRY_STATE_KEY_UNAVAILABLE', `the state key file ${full} does not hold a 256-bit key (${raw.length} bytes): it must be 32 raw bytes, 64 hex characters or base64 of 32 bytes. Make one with \`openssl rand -hex 32 > ${path}\` (only for a new state directory)`);
}

export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update('ferry-key-file:').update(key).digest().subarray(0, 16).toString('hex');
}

const wrapAad = (keyringId: string) => Buffer.from(`ferry-state-keyring:${keyringId}`, 'utf8');

function kmsContext(keyringId: string): Record<string, string> {
  return { ferry: 'state-keyring', keyring: keyringId };
}

type KmsSettings = NonNullable<StateEncryptionSettings['kms']>;

async function kmsClient(o: KmsSettings): Promise<{ sdk: typeof KmsSdk; client: InstanceType<typeof KmsSdk.KMSClient> }> {
  const sdk = await import('@aws-sdk/client-kms');
  const client = new sdk.KMSClient({
    region: o.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey.reveal() } } : {}),
    ...awsClientTls(), // AWS_CA_BUNDLE (runtime/src/aws/aws-tls.ts)
  });
  return { sdk, client };
}

function kmsError(e: unknown, action: string, keyId: string): FerryError {
  const name = (e as { name?: string }).name ?? '';
  return new FerryError('FERRY_STATE_KEY_UNAVAILABLE', `KMS ${action} with key ${keyId} failed: ${name ? `${name}: ` : ''}${errorMessage(e)}. ${
    /AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken/i.test(name) ? `Grant kms:${action} on the key to the credentials Ferry runs with` :
    /Disabled|KMSInvalidState/i.test(name) ? 'Enable the key (a key pending deletion can be cancelled)' :
    /NotFound/i.test(name) ? 'Check settings.stateEncryption.kms.keyId and region' :
    /InvalidCiphertext|IncorrectKey/i.test(name) ? 'keyring.json does not belong to this key or was changed; restore it' :
    'Check settings.stateEncryption.kms (keyId, region, endpoint) and the network'}`, { cause: e });
}

/** A new data key and its wrap, for a new state directory. */
export async function newDataKey(s: StateEncryptionSettings, keyringId: string): Promise<{ key: Buffer; wrap: KeyWrap }> {
  if (s.kms) {
    const { sdk, client } = await kmsClient(s.kms);
    try {
      const r = await client.send(new sdk.GenerateDataKeyCommand({ KeyId: s.kms.keyId, KeySpec: 'AES_256', EncryptionContext: kmsContext(keyringId) }));
      if (!r.Plaintext || r.Plaintext.length !== 32 || !r.CiphertextBlob) throw new FerryError('FERRY_STATE_KEY_UNAVAILABLE', `KMS GenerateDataKey with key ${s.kms.keyId} returned no 256-bit data key`);
      return { key: Buffer.from(r.Plaintext), wrap: { type: 'kms', keyId: s.kms.keyId, keyArn: r.KeyId ?? s.kms.keyId, ciphertextBlob: Buffer.from(r.CiphertextBlob).toString('base64') } };
    } catch (e: unknown) {
      throw e instanceof FerryError ? e : kmsError(e, 'GenerateDataKey', s.kms.keyId);
    } finally {
      client.destroy();
    }
  }
  const kek = readKeyFile(s.keyFile!);
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek, nonce);
  c.setAAD(wrapAad(keyringId));
  const wrapped = Buffer.concat([c.update(key), c.final(), c.getAuthTag()]);
  return { key, wrap: { type: 'keyFile', fingerprint: keyFingerprint(kek), nonce: nonce.toString('base64'), wrapped: wrapped.toString('base64') } };
}

/** Unwraps the data key of an existing state directory with the configured key (already checked to be the same key). */
export async function unwrapDataKey(s: StateEncryptionSettings, wrap: KeyWrap, keyringId: string): Promise<Buffer> {
  if (wrap.type === 'kms') {
    const { sdk, client } = await kmsClient(s.kms!);
    try {
      const r = await client.send(new sdk.DecryptCommand({ KeyId: wrap.keyArn, CiphertextBlob: Buffer.from(wrap.ciphertextBlob, 'base64'), EncryptionContext: kmsContext(keyringId) }));
      if (!r.Plaintext || r.Plaintext.length !== 32) throw new FerryError('FERRY_STATE_KEY_UNAVAILABLE', `KMS Decrypt with key ${wrap.keyId} returned no 256-bit data key`);
      return Buffer.from(r.Plaintext);
    } catch (e: unknown) {
      throw e instanceof FerryError ? e : kmsError(e, 'Decrypt', wrap.keyId);
    } finally {
      client.destroy();
    }
  }
  const kek = readKeyFile(s.keyFile!);
  const wrapped = Buffer.from(wrap.wrapped, 'base64');
  const d = createDecipheriv('aes-256-gcm', kek, Buffer.from(wrap.nonce, 'base64'));
  d.setAAD(wrapAad(keyringId));
  d.setAuthTag(wrapped.subarray(wrapped.length - 16));
  try {
    return Buffer.concat([d.update(wrapped.subarray(0, wrapped.length - 16)), d.final()]);
  } catch (e: unknown) {
    throw new FerryError('FERRY_STATE_KEY_UNAVAILABLE', `the data key in keyring.json does not open with the key file ${resolve(s.keyFile!)}: keyring.json was changed or damaged. Restore it from a backup`, { cause: e });
  }
}
