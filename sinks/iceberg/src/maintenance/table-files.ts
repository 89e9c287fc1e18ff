/**
 * File access for table maintenance: read a manifest, list what lies under a table's location (with modification
 * times, which orphan-file removal needs) and delete files, for local folders and S3. Locations are as table
 * metadata writes them: `s3://bucket/key`, an absolute path, or a `file:` URI (`file:/p` as Java's Hadoop FileIO
 * writes it, or `file:///p`). The S3 client is loaded only for s3:// tables.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as S3SdkModule from '@aws-sdk/client-s3';
import type { S3Options } from '../../../../runtime/src/storage/object-store.ts';

export interface ListedFile { location: string; lastModifiedMs: number; size: number }

export interface TableFiles {
  read(location: string): Promise<Buffer>;
  /** Every file under `location` (recursively), with normalised locations. */
  list(location: string): Promise<ListedFile[]>;
  delete(locations: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** One spelling per file: `s3://bucket/key`, or an absolute local path. */
export function normaliseLocation(location: string): string {
  const s3 = /^s3[an]?:\/\/(.*)$/.exec(location);
  if (s3) return `s3://${s3[1]}`;
  if (location.startsWith('file:')) return `/${location.slice('file:'.length).replace(/^\/+/, '')}`;
  return location;
}

function splitS3(location: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!m) throw new Error(`not an s3:// location: ${location}`);
  return { bucket: m[1]!, key: m[2]! };
}

type S3Sdk = typeof S3SdkModule;

export class DefaultTableFiles implements TableFiles {
  readonly #s3Options: S3Options;
  #s3: Promise<{ sdk: S3Sdk; client: InstanceType<S3Sdk['S3Client']> }> | undefined;

  constructor(s3: S3Options = {}) { this.#s3Options = s3; }

  #client() {
    this.#s3 ??= import('@aws-sdk/client-s3').then((sdk) => {
      const o = this.#s3Options;
      const client = new sdk.S3Client({
        region: o.region ?? process.env.AWS_REGION ?? 'us-east-1',
        ...(o.endpoint ? { endpoint: o.endpoint, requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
        forcePathStyle: o.forcePathStyle ?? Boolean(o.endpoint),
        ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}) } } : {}),
      });
      return { sdk, client };
    });
    return this.#s3;
  }

  async read(location: string): Promise<Buffer> {
    const loc = normaliseLocation(location);
    if (!loc.startsWith('s3://')) return readFile(loc);
    const { sdk, client } = await this.#client();
    const { bucket, key } = splitS3(loc);
    const r = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
  }

  async list(location: string): Promise<ListedFile[]> {
    const loc = normaliseLocation(location).replace(/\/+$/, '');
    if (!loc.startsWith('s3://')) {
      const out: ListedFile[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries;
        try { entries = await readdir(dir, { withFileTypes: true }); } catch (e) {
          if ((e as { code?: string }).code === 'ENOENT') return;
          throw e;
        }
        for (const d of entries) {
          const p = join(dir, d.name);
          if (d.isDirectory()) await walk(p);
          else if (d.isFile()) { const s = await stat(p); out.push({ location: p, lastModifiedMs: s.mtimeMs, size: s.size }); }
        }
      };
      await walk(loc);
      return out.sort((a, b) => (a.location < b.location ? -1 : 1));
    }
    const { sdk, client } = await this.#client();
    const { bucket, key } = splitS3(loc);
    const out: ListedFile[] = [];
    let token: string | undefined;
    do {
      const r = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: key ? `${key}/` : '', ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of r.Contents ?? []) out.push({ location: `s3://${bucket}/${o.Key}`, lastModifiedMs: o.LastModified?.getTime() ?? 0, size: o.Size ?? 0 });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(locations: readonly string[]): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const l of locations.map(normaliseLocation)) {
      if (!l.startsWith('s3://')) { await rm(l, { force: true }); continue; }
      const { bucket, key } = splitS3(l);
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), key]);
    }
    if (byBucket.size === 0) return;
    const { sdk, client } = await this.#client();
    for (const [bucket, keys] of byBucket) {
      for (let i = 0; i < keys.length; i += 1000) {
        const r = await client.send(new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
        if (r.Errors?.length) throw new Error(`S3 DeleteObjects in ${bucket}: ${r.Errors.map((e) => `${e.Key}: ${e.Code}`).join(', ')}`);
      }
    }
  }

  async close(): Promise<void> {
    if (this.#s3) (await this.#s3).client.destroy();
  }
}
