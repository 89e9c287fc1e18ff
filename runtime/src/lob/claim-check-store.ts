/**
 * Claim-check storage: a LOB value is written to S3 under a content-addressed key
 * (<prefix>/<target schema>/<target table>/<sha256>), so writing it again on redelivery is idempotent, and
 * put() resolves only once S3 has acknowledged the object (PutObject is durable when it returns).
 * With kmsKeyId the object is encrypted with SSE-KMS under that key.
 *
 * With settings.stateEncryption the object body is also encrypted client-side: one sealed record
 * (runtime/src/encryption/record-cipher.ts) under the state directory's data key, bound to the object key
 * ("claim-check/<key>"); the key's last part is then an HMAC of the value under a key derived from the data key
 * instead of its SHA-256 (still deterministic, so redelivery writes the same object, but no hash of the value is
 * exposed), and the metadata ferry-encryption: "fe1" and ferry-keyring: <keyring id> say how to read it
 * (openClaimCheckObject). The reference in the event keeps the SHA-256 of the value.
 */
import { createHash } from 'node:crypto';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { LobSettings } from '../config/settings-schema.ts';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import type { TableId } from '../../../core/src/types.ts';
import type { RecordCipher } from '../encryption/record-cipher.ts';
import { awsClientTls } from '../aws/aws-tls.ts';

export interface ClaimCheckRef {
  readonly uri: string;
  readonly sha256: string;
  readonly size: number;
}

export interface ClaimCheckStore {
  put(table: TableId, data: Buffer): Promise<ClaimCheckRef>;
  close(): Promise<void>;
}

type S3Module = typeof S3Sdk;
type ClaimCheckSettings = NonNullable<LobSettings['claimCheck']>;

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The object key of a value: deterministic, so redelivery overwrites the same object with the same bytes. */
export function objectKey(prefix: string, table: TableId, sha256: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return `${p ? `${p}/` : ''}${encodeURIComponent(table.schema)}/${encodeURIComponent(table.table)}/${sha256}`;
}

export class S3ClaimCheckStore implements ClaimCheckStore {
  readonly #sdk: S3Module;
  readonly #client: InstanceType<S3Module['S3Client']>;
  readonly #o: ClaimCheckSettings;
  readonly #cipher: RecordCipher | null;
  /** Uploads in flight or done in this process, by key: a value repeated in before and after is written once. */
  readonly #done = new Map<string, Promise<void>>();

  private constructor(sdk: S3Module, o: ClaimCheckSettings, cipher: RecordCipher | null) {
    this.#sdk = sdk;
    this.#o = o;
    this.#cipher = cipher;
    this.#client = new sdk.S3Client({
      region: o.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(o.endpoint ? { endpoint: o.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
      ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey.reveal() } } : {}),
      ...awsClientTls(), // AWS_CA_BUNDLE (runtime/src/aws/aws-tls.ts)
    });
  }

  /** `cipher`: the state directory's (settings.stateEncryption), to encrypt object bodies client-side. */
  static async open(o: ClaimCheckSettings, cipher: RecordCipher | null = null): Promise<S3ClaimCheckStore> {
    return new S3ClaimCheckStore(await import('@aws-sdk/client-s3'), o, cipher);
  }

  async put(table: TableId, data: Buffer): Promise<ClaimCheckRef> {
    const sha256 = sha256Hex(data);
    const key = objectKey(this.#o.prefix, table, this.#cipher ? this.#cipher.name(data) : sha256);
    let p = this.#done.get(key);
    if (!p) {
      p = this.#upload(key, data, sha256);
      p.catch(() => this.#done.delete(key));
      this.#done.set(key, p);
      if (this.#done.size > 10000) this.#done.delete(this.#done.keys().next().value!);
    }
    await p;
    return { uri: `s3://${this.#o.bucket}/${key}`, sha256, size: data.length };
  }

  async #upload(key: string, value: Buffer, sha256: string): Promise<void> {
    const c = this.#cipher;
    const data = c ? c.seal(value, claimCheckContext(key)) : value;
    try {
      await this.#client.send(new this.#sdk.PutObjectCommand({
        Bucket: this.#o.bucket, Key: key, Body: data, ContentLength: data.length, ContentType: 'application/octet-stream',
        Metadata: c ? { 'ferry-encryption': 'fe1', 'ferry-keyring': c.idHex } : { 'ferry-sha256': sha256 },
        ...(this.#o.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.#o.kmsKeyId } : {}),
      }));
    } catch (e: unknown) {
      const name = (e as { name?: string }).name ?? '';
      const fatal = /NoSuchBucket|AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|KMS/i.test(name);
      throw new FerryError('FERRY_SINK_ERROR', `cannot write a claim-checked LOB value to s3://${this.#o.bucket}/${key}: ${name ? `${name}: ` : ''}${errorMessage(e)}${fatal ? ' (check settings.lob.claimCheck: bucket, credentials, kmsKeyId)' : ''}`,
        { cause: e, ...(fatal ? { disposition: 'fatal' as const } : {}) });
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}

const claimCheckContext = (key: string) => `claim-check/${key}`;

/** The value of an encrypted claim-check object (its body as read from S3, and its object key). */
export function openClaimCheckObject(cipher: RecordCipher, body: Buffer, key: string): Buffer {
  return cipher.open(body, claimCheckContext(key), `claim-check object ${key}`);
}
