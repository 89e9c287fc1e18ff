/**
 * Iceberg's FileIO: reads and writes files by their full location, as table metadata names them — `s3://bucket/key`
 * or an absolute local path — through Ferry's object stores (one per bucket, opened on first use).
 */
import { isAbsolute } from 'node:path';
import { FerryError } from '../../../core/src/errors.ts';
import { LocalObjectStore, openObjectStore, parseLocation, type ObjectStore, type S3Options } from '../../../runtime/src/storage/object-store.ts';

export class FileIO {
  readonly #s3: S3Options;
  readonly #stores = new Map<string, Promise<ObjectStore>>();

  constructor(s3: S3Options = {}) {
    this.#s3 = s3;
  }

  async #at(location: string): Promise<{ store: ObjectStore; key: string }> {
    const loc = parseLocation(location);
    if (loc.kind === 's3') {
      let store = this.#stores.get(loc.bucket);
      if (store === undefined) this.#stores.set(loc.bucket, (store = openObjectStore(`s3://${loc.bucket}`, this.#s3)));
      return { store: await store, key: loc.prefix };
    }
    if (!isAbsolute(loc.dir)) throw new FerryError('FERRY_CONFIG_INVALID', `Iceberg location ${location} is neither s3://… nor an absolute path; use an absolute folder`);
    let store = this.#stores.get('/');
    if (store === undefined) this.#stores.set('/', (store = Promise.resolve(new LocalObjectStore('/'))));
    return { store: await store, key: loc.dir.replace(/^\/+/, '') };
  }

  async put(location: string, body: Buffer): Promise<void> {
    const { store, key } = await this.#at(location);
    await store.putBytes(key, body);
  }

  async putFile(location: string, localPath: string): Promise<void> {
    const { store, key } = await this.#at(location);
    await store.putFile(key, localPath);
  }

  async get(location: string): Promise<Buffer> {
    const { store, key } = await this.#at(location);
    return store.get(key);
  }

  async delete(locations: readonly string[]): Promise<void> {
    for (const l of locations) {
      const { store, key } = await this.#at(l);
      await store.delete([key]);
    }
  }

  async close(): Promise<void> {
    const stores = [...this.#stores.values()];
    this.#stores.clear();
    for (const s of stores) await (await s).close();
  }
}
