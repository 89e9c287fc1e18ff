/**
 * The Iceberg REST catalog protocol (Apache Iceberg's rest-catalog-open-api.yaml), for Polaris, Nessie,
 * Lakekeeper, Gravitino, AWS Glue's and S3 Tables' Iceberg endpoints, and Iceberg's own reference server
 * (infra/iceberg-rest.sh). The catalog writes the metadata files: a commit sends requirements plus updates.
 *
 * Commit outcomes: 200 → the new metadata; 409 → CommitConflictError (the writer reloads and retries);
 * 500/502/504 or a timeout → unknown, resolved here by reloading the table: when the snapshots the commit adds
 * are in the reloaded metadata it was applied (the commit returns that metadata); when the table is still at
 * `base` it was not, and it is sent again (its requirements make a late duplicate fail with 409); otherwise
 * FERRY_ICEBERG_COMMIT_UNKNOWN (the writer retries the batch and recognises its own snapshot by the source
 * position in the snapshot summary). See docs/sinks/iceberg.md#rest-catalog.
 */
import { FerryError } from '../../../../core/src/errors.ts';
import type { TableMetadataV2 } from '../metadata/table-metadata.ts';
import {
  CommitConflictError, TableExistsError,
  type CommitRequest, type CreateTableRequest, type IcebergCatalog, type LoadedTable, type TableIdentifier,
} from './catalog.ts';
import { restCatalogSchema, type RestCatalogConfig, type RestCatalogConfigInput } from './rest-config.ts';
import { describeError, RestHttp, type RestResult } from './rest-http.ts';

/** Namespace levels in a path: joined by the unit separator (0x1F), then percent-encoded. */
export function encodeNamespace(ns: readonly string[]): string {
  return encodeURIComponent(ns.join('\x1f'));
}

interface CatalogConfig { prefix: string; properties: Record<string, string> }

interface LoadTableResult {
  'metadata-location'?: string;
  metadata: TableMetadataV2;
  config?: Record<string, string>;
  'storage-credentials'?: { prefix: string; config: Record<string, string> }[];
}

export class RestCatalog implements IcebergCatalog {
  readonly config: RestCatalogConfig;
  readonly #http: RestHttp;
  #catalogConfig: Promise<CatalogConfig> | undefined;

  constructor(options: RestCatalogConfigInput) {
    this.config = restCatalogSchema.parse(options);
    this.#http = new RestHttp(this.config);
  }

  /** GET /v1/config (once): the prefix and the catalog's defaults and overrides. */
  async catalogConfig(signal?: AbortSignal): Promise<CatalogConfig> {
    this.#catalogConfig ??= (async () => {
      const r = await this.#http.request({ method: 'GET', path: '/v1/config', query: { warehouse: this.config.warehouse }, ...(signal ? { signal } : {}) });
      if (r.status !== 200) throw this.#unexpected(r, 'GET /v1/config must answer 200; check catalog.uri (the URL before /v1) and catalog.warehouse');
      const body = (r.json ?? {}) as { defaults?: Record<string, string>; overrides?: Record<string, string> };
      const properties = { ...body.defaults, ...body.overrides };
      const prefix = (this.config.prefix ?? properties['prefix'] ?? '').replace(/^\/+|\/+$/g, '');
      return { prefix, properties };
    })();
    this.#catalogConfig.catch(() => { this.#catalogConfig = undefined; });
    return this.#catalogConfig;
  }

  async #path(suffix: string, signal?: AbortSignal): Promise<string> {
    const { prefix } = await this.catalogConfig(signal);
    return `/v1${prefix ? `/${prefix}` : ''}${suffix}`;
  }

  #tablePath(id: TableIdentifier): string {
    return `/namespaces/${encodeNamespace(id.namespace)}/tables/${encodeURIComponent(id.name)}`;
  }

  async namespaceExists(namespace: string[], options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const r = await this.#http.request({ method: 'HEAD', path: await this.#path(`/namespaces/${encodeNamespace(namespace)}`, options.signal), ...sig(options) });
    return r.status >= 200 && r.status < 300;
  }

  /** Creates the namespace and any missing parent level; an existing one is fine. */
  async createNamespace(namespace: string[], options: { properties?: Record<string, string>; signal?: AbortSignal } = {}): Promise<void> {
    for (let i = 1; i <= namespace.length; i++) {
      const level = namespace.slice(0, i);
      if (i < namespace.length && await this.namespaceExists(level, options)) continue;
      const r = await this.#http.request({
        method: 'POST', path: await this.#path('/namespaces', options.signal),
        body: { namespace: level, properties: i === namespace.length ? options.properties ?? {} : {} }, ...sig(options),
      });
      if (r.status !== 200 && r.status !== 409) throw this.#unexpected(r, `creating namespace ${level.join('.')}`);
    }
  }

  async loadTable(id: TableIdentifier, options: { signal?: AbortSignal } = {}): Promise<LoadedTable | undefined> {
    const r = await this.#http.request({ method: 'GET', path: await this.#path(this.#tablePath(id), options.signal), ...sig(options) });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw this.#unexpected(r, `loading table ${name(id)}`);
    return this.#loaded(id, r, options.signal);
  }

  async createTable(request: CreateTableRequest, options: { signal?: AbortSignal } = {}): Promise<LoadedTable> {
    const id = request.identifier;
    if (!await this.namespaceExists(id.namespace, options)) await this.createNamespace(id.namespace, options);
    const r = await this.#http.request({
      method: 'POST', path: await this.#path(`/namespaces/${encodeNamespace(id.namespace)}/tables`, options.signal), ...sig(options),
      body: {
        name: id.name, schema: request.schema, 'partition-spec': request.partitionSpec,
        ...(request.sortOrder ? { 'write-order': request.sortOrder } : {}),
        ...(request.location ? { location: request.location } : {}),
        properties: request.properties ?? {}, 'stage-create': false,
      },
    });
    if (r.status === 409) throw new TableExistsError(`Iceberg REST catalog: table ${name(id)} already exists (${describeError(r.json, '').message})`);
    if (r.status !== 200) throw this.#unexpected(r, `creating table ${name(id)}`);
    return this.#loaded(id, r, options.signal);
  }

  async commitTable(request: CommitRequest, options: { signal?: AbortSignal } = {}): Promise<LoadedTable> {
    const id = request.identifier;
    const path = await this.#path(this.#tablePath(id), options.signal);
    const body = { identifier: { namespace: id.namespace, name: id.name }, requirements: request.requirements, updates: request.updates };
    for (let resend = 0; ; resend++) {
      let r: RestResult;
      try {
        r = await this.#http.request({ method: 'POST', path, body, commit: true, ...sig(options) });
      } catch (e) {
        if (!(e instanceof FerryError) || e.code !== 'FERRY_ICEBERG_COMMIT_UNKNOWN') throw e;
        const outcome = await this.#resolveUnknown(request, options);
        if (outcome.kind === 'applied') return outcome.table;
        if (outcome.kind === 'not-applied' && resend < this.config.retries) continue;
        throw e;
      }
      if (r.status === 409) {
        throw new CommitConflictError(`Iceberg REST catalog: commit to ${name(id)} refused, the table changed since it was read (${describeError(r.json, '').message})`);
      }
      if (r.status === 404) throw this.#unexpected(r, `committing to table ${name(id)}: the table does not exist (dropped?)`);
      if (r.status !== 200) throw this.#unexpected(r, `committing to table ${name(id)}`);
      return this.#loaded(id, r, options.signal);
    }
  }

  /** After a commit whose outcome is unknown: was it applied? (see the file comment) */
  async #resolveUnknown(request: CommitRequest, options: { signal?: AbortSignal }):
    Promise<{ kind: 'applied'; table: LoadedTable } | { kind: 'not-applied' } | { kind: 'unknown' }> {
    let now: LoadedTable | undefined;
    try { now = await this.loadTable(request.identifier, options); } catch { return { kind: 'unknown' }; }
    if (!now) return { kind: 'unknown' };
    const added = request.updates.flatMap((u) => (u.action === 'add-snapshot' ? [u.snapshot['snapshot-id']] : []));
    const have = new Set((now.metadata.snapshots ?? []).map((s) => s['snapshot-id']));
    if (added.length > 0 && added.every((sid) => have.has(sid))) return { kind: 'applied', table: now };
    if (now.metadataLocation === request.base.metadataLocation) return { kind: 'not-applied' };
    return { kind: 'unknown' };
  }

  async dropTable(id: TableIdentifier, options: { purge?: boolean; signal?: AbortSignal } = {}): Promise<boolean> {
    const r = await this.#http.request({
      method: 'DELETE', path: await this.#path(this.#tablePath(id), options.signal),
      query: { purgeRequested: options.purge ? 'true' : undefined }, ...sig(options),
    });
    if (r.status === 404) return false;
    if (r.status < 200 || r.status >= 300) throw this.#unexpected(r, `dropping table ${name(id)}`);
    return true;
  }

  async listTables(namespace: string[], options: { signal?: AbortSignal } = {}): Promise<TableIdentifier[]> {
    const out: TableIdentifier[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.#http.request({
        method: 'GET', path: await this.#path(`/namespaces/${encodeNamespace(namespace)}/tables`, options.signal),
        query: { pageToken }, ...sig(options),
      });
      if (r.status === 404) return [];
      if (r.status !== 200) throw this.#unexpected(r, `listing the tables of ${namespace.join('.')}`);
      const body = r.json as { identifiers?: TableIdentifier[]; 'next-page-token'?: string | null };
      for (const t of body.identifiers ?? []) out.push({ namespace: [...t.namespace], name: t.name });
      pageToken = body['next-page-token'] ?? undefined;
    } while (pageToken);
    return out;
  }

  close(): Promise<void> { return Promise.resolve(); }

  /** LoadTableResult → LoadedTable: the storage config is the catalog's defaults and overrides, then the table's
   *  `config`, then the vended credentials whose prefix is the longest match of the table's location. */
  async #loaded(id: TableIdentifier, r: RestResult, signal?: AbortSignal): Promise<LoadedTable> {
    if (r.unsafeIntegers.length > 0) {
      throw new FerryError('FERRY_UNSUPPORTED',
        `Iceberg REST catalog ${r.endpoint}: table ${name(id)}'s metadata holds integers beyond 2^53 (${r.unsafeIntegers.slice(0, 3).join(', ')}), ` +
        'such as the 63-bit snapshot ids other engines (Spark, PyIceberg) choose; Ferry keeps ids as JS numbers and would round them. ' +
        'Write this table with Ferry only, or expire the other engines\' snapshots.', { details: { endpoint: r.endpoint } });
    }
    const body = r.json as LoadTableResult;
    const { properties } = await this.catalogConfig(signal);
    const location = body.metadata.location;
    const creds = (body['storage-credentials'] ?? []).filter((c) => location.startsWith(c.prefix))
      .sort((a, b) => b.prefix.length - a.prefix.length)[0];
    const config: Record<string, string> = { ...properties, ...body.config, ...creds?.config };
    delete config['prefix'];
    const metadataLocation = body['metadata-location'];
    if (!metadataLocation) {
      throw new FerryError('FERRY_ICEBERG_CATALOG_ERROR', `Iceberg REST catalog ${this.#http.base}: table ${name(id)} came without a metadata-location (a staged table?)`, { disposition: 'fatal' });
    }
    return { identifier: { namespace: [...id.namespace], name: id.name }, metadataLocation, metadata: body.metadata, config };
  }

  #unexpected(r: RestResult, what: string): FerryError {
    const { type, message } = describeError(r.json, '');
    return new FerryError('FERRY_ICEBERG_CATALOG_ERROR', `Iceberg REST catalog ${r.endpoint}: ${what} (HTTP ${r.status}${type ? ` ${type}` : ''}: ${message})`,
      { disposition: r.status >= 500 ? 'retry' : 'fatal', details: { endpoint: r.endpoint, status: r.status } });
  }
}

function name(id: TableIdentifier): string { return [...id.namespace, id.name].join('.'); }
function sig(o: { signal?: AbortSignal }): { signal?: AbortSignal } { return o.signal ? { signal: o.signal } : {}; }
