/**
 * Where lake files go: an S3 bucket (any S3-compatible endpoint: AWS, moto, MinIO) or a local directory.
 * Both overwrite atomically: a reader sees the old object or the new one, never a partial file, so a retried
 * batch can rewrite the same names safely.
 *
 * The S3 SDK (@aws-sdk/client-s3) is loaded only when an s3:// location is used.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type * as S3Sdk from '@aws-sdk/client-s3';
import { FerryError, errorMessage } from '../../../core/src/errors.ts';
import { awsClientTls, awsTlsError } from '../aws/aws-tls.ts';

export interface ObjectStore {
  /** The location as a URL-ish string, for logs and docs: s3://bucket/prefix or file:///dir. */
  readonly url: string;
  /** Uploads a local file to `key` (relative to the store's root); resolves when durable. */
  putFile(key: string, localPath: string): Promise<void>;
  putBytes(key: string, body: Buffer): Promise<void>;
  /** Keys under a prefix (relative to the store's root), sorted. */
  list(prefix: string): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  delete(keys: readonly string[]): Promise<void>;
  /** The full URL of a key (s3://bucket/root/key or an absolute path). */
  urlOf(key: string): string;
  close(): Promise<void>;
}

export interface S3Options {
  readonly region?: string;
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  /** Files larger than this are uploaded in parts; default 64 MiB. */
  readonly multipartThresholdBytes?: number;
  /** Part size of multipart uploads; default 16 MiB. */
  readonly partSizeBytes?: number;
}

const joinKey = (...parts: string[]): string => parts.filter((p) => p !== '').map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p !== '').join('/');

/** `s3://bucket/prefix` → { bucket, prefix }; anything else is a local path (`file:///p`, and `file:/p` as Java's Hadoop FileIO writes it, allowed). */
export function parseLocation(location: string): { readonly kind: 's3'; readonly bucket: string; readonly prefix: string } | { readonly kind: 'local'; readonly dir: string } {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (m) return { kind: 's3', bucket: m[1]!, prefix: m[2]!.replace(/\/+$/, '') };
  if (location.startsWith('file://')) return { kind: 'local', dir: location.slice('file://'.length) };
  return { kind: 'local', dir: /^file:\/(?!\/)/.test(location) ? location.slice('file:'.length) : location };
}

export async function openObjectStore(location: string, s3?: S3Options): Promise<ObjectStore> {
  const loc = parseLocation(location);
  return loc.kind === 's3' ? S3ObjectStore.open(loc.bucket, loc.prefix, s3 ?? {}) : new LocalObjectStore(loc.dir);
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class LocalObjectStore implements ObjectStore {
  readonly url: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.url = `file://${root}`;
  }

  urlOf(key: string): string {
    return join(this.#root, ...key.split('/'));
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.urlOf(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await writeCopy(localPath, tmp);
    await fsyncPath(tmp, 'r+');
    await rename(tmp, target);
    await fsyncPath(dirname(target), 'r');
  }

  async putBytes(key: string, body: Buffer): Promise<void> {
    const target = this.urlOf(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    await fsyncPath(dirname(target), 'r');
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e: unknown) {
        if ((e as { code?: string }).code === 'ENOENT') return;
        throw e;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!e.name.includes('.tmp-')) out.push(relative(this.#root, p).split(sep).join('/'));
      }
    };
    await walk(this.#root);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.urlOf(key));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) await rm(this.urlOf(k), { force: true });
  }

  async close(): Promise<void> {}
}

async function writeCopy(from: string, to: string): Promise<void> {
  // Move the temp file when it is on the same file system; copy it otherwise.
  try {
    await rename(from, to);
  } catch (e: unknown) {
    if ((e as { code?: string }).code !== 'EXDEV') throw e;
    await copyFile(from, to);
  }
}

type S3Module = typeof S3Sdk;

/** Errors that retrying cannot fix (no bucket, no permission, bad credentials) stop the sink; the rest are retried. */
export function classifyS3Error(e: unknown, what: string): unknown {
  const tls = awsTlsError(e, `S3 (while trying to ${what})`);
  if (tls !== e) return tls;
  const name = (e as { name?: string; Code?: string }).name ?? '';
  if (/^(NoSuchBucket|AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|AllAccessDisabled|InvalidBucketName)$/.test(name)) {
    return new FerryError('FERRY_SINK_ERROR', `cannot ${what}: ${name}: ${errorMessage(e)}`, { cause: e, disposition: 'fatal' });
  }
  return e;
}

export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  readonly #sdk: S3Module;
  readonly #client: InstanceType<S3Module['S3Client']>;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #threshold: number;
  readonly #partSize: number;

  private constructor(sdk: S3Module, bucket: string, prefix: string, o: S3Options) {
    this.#sdk = sdk;
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.url = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    this.#threshold = o.multipartThresholdBytes ?? 64 * 1024 * 1024;
    this.#partSize = Math.max(5 * 1024 * 1024, o.partSizeBytes ?? 16 * 1024 * 1024);
    this.#client = new sdk.S3Client({
      region: o.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      forcePathStyle: o.forcePathStyle ?? Boolean(o.endpoint),
      ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}) } } : {}),
      // S3-compatible endpoints (moto, MinIO) may not accept the SDK's default flexible checksums.
      ...(o.endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
      ...awsClientTls(), // AWS_CA_BUNDLE (runtime/src/aws/aws-tls.ts)
    });
  }

  static async open(bucket: string, prefix: string, o: S3Options): Promise<S3ObjectStore> {
    let sdk: S3Module;
    try {
      sdk = await import('@aws-sdk/client-s3');
    } catch (e: unknown) {
      throw new FerryError('FERRY_UNSUPPORTED', `writing to s3:// needs the package @aws-sdk/client-s3, which is not installed (${errorMessage(e)})`, { cause: e });
    }
    return new S3ObjectStore(sdk, bucket, prefix, o);
  }

  get bucket(): string {
    return this.#bucket;
  }

  #key(key: string): string {
    return joinKey(this.#prefix, key);
  }

  urlOf(key: string): string {
    return `s3://${this.#bucket}/${this.#key(key)}`;
  }

  async putFile(key: string, localPath: string): Promise<void> {
    try {
      await this.#putFile(key, localPath);
    } catch (e: unknown) {
      throw classifyS3Error(e, `upload s3://${this.#bucket}/${this.#key(key)}`);
    }
  }

  async #putFile(key: string, localPath: string): Promise<void> {
    const size = (await stat(localPath)).size;
    const Key = this.#key(key);
    if (size <= this.#threshold) {
      await this.#client.send(new this.#sdk.PutObjectCommand({ Bucket: this.#bucket, Key, Body: createReadStream(localPath), ContentLength: size }));
      return;
    }
    const { UploadId } = await this.#client.send(new this.#sdk.CreateMultipartUploadCommand({ Bucket: this.#bucket, Key }));
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < size; start += this.#partSize, n++) {
        const end = Math.min(size, start + this.#partSize);
        const r = await this.#client.send(new this.#sdk.UploadPartCommand({
          Bucket: this.#bucket, Key, UploadId, PartNumber: n, Body: createReadStream(localPath, { start, end: end - 1 }), ContentLength: end - start,
        }));
        parts.push({ ETag: r.ETag!, PartNumber: n });
      }
      await this.#client.send(new this.#sdk.CompleteMultipartUploadCommand({ Bucket: this.#bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (e: unknown) {
      await this.#client.send(new this.#sdk.AbortMultipartUploadCommand({ Bucket: this.#bucket, Key, UploadId })).catch(() => {});
      throw e;
    }
  }

  async putBytes(key: string, body: Buffer): Promise<void> {
    try {
      await this.#client.send(new this.#sdk.PutObjectCommand({ Bucket: this.#bucket, Key: this.#key(key), Body: body, ContentLength: body.length }));
    } catch (e: unknown) {
      throw classifyS3Error(e, `upload s3://${this.#bucket}/${this.#key(key)}`);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const full = this.#key(prefix) + (prefix.endsWith('/') ? '/' : '');
    let token: string | undefined;
    do {
      const r = await this.#client.send(new this.#sdk.ListObjectsV2Command({ Bucket: this.#bucket, Prefix: full, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of r.Contents ?? []) if (o.Key) out.push(this.#prefix ? o.Key.slice(this.#prefix.length + 1) : o.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async get(key: string): Promise<Buffer> {
    const r = await this.#client.send(new this.#sdk.GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
    return Buffer.from(await r.Body!.transformToByteArray());
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      await this.#client.send(new this.#sdk.DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: chunk.map((k) => ({ Key: this.#key(k) })) } }));
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}
