/**
 * Writes batches of one source table into its Iceberg table: stages the records in DuckDB, reduces them to the net
 * change per key (upsert) or keeps every change (append), writes Parquet data files with Iceberg field ids and
 * stats, writes position (or equality) deletes for the keys the batch changes, and commits one snapshot per run of
 * records of one table version, its summary holding the source positions applied (exactly once).
 */
import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import type { RejectedRecord, SinkRecord, SinkTable, SinkWriteContext } from '../../../../core/src/record-sink.ts';
import type { Row } from '../../../../core/src/types.ts';
import { BOOLEAN_CODEC_STAGE, INT_CODEC_STAGE } from './stage-codecs.ts';
import { keyText, splitAtTruncates } from '../../../../runtime/src/relational/net-changes.ts';
import { isApplied, pendingRecords } from '../../../../runtime/src/relational/applied-positions.ts';
import { recordSeq } from '../../../../runtime/src/sink-worker/record-identity.ts';
import { TableExistsError, type IcebergCatalog, type LoadedTable, type TableIdentifier } from '../catalog/catalog.ts';
import type { IcebergConfig } from '../config.ts';
import type { FileIO } from '../io.ts';
import type { DataFile, ManifestFile } from '../metadata/manifests.ts';
import type { IcebergSchema, PartitionSpec } from '../metadata/table-metadata.ts';
import { duckTypeOf, planSchema, type MappedColumn, type SchemaPlan } from '../schema-mapping.ts';
import { ident, literal, type Duck, type StageColumn } from './duck.ts';
import { statsOf, statsSelect } from './file-stats.ts';
import { KeyIndex } from './key-index.ts';
import { bucketColumn, bucketWidth, manifestValue, partitionExpr, partitionPath, specFor } from './partitions.ts';
import { bucketOf } from './bucket.ts';
import { appliedPositions, commitSnapshot, currentManifests } from './snapshot-commit.ts';
import { FerryError } from '../../../../core/src/errors.ts';

const OP_LETTER: Readonly<Record<string, string>> = { c: 'I', r: 'I', u: 'U', d: 'D', t: 'T' };
const POS_DELETE_IDS = "{'file_path': 2147483546, 'pos': 2147483545}";

interface Staged {
  readonly r: SinkRecord;
  readonly row: Row | null;
  readonly del: boolean;
  /** Equality-delete mode: the key may have a live row (update, delete, a snapshot read applied again). */
  readonly eq: boolean;
}

export interface TableWriterOptions {
  readonly id: TableIdentifier;
  readonly config: IcebergConfig;
  readonly catalog: IcebergCatalog;
  readonly io: FileIO;
  readonly duck: Duck;
}

export class TableWriter {
  readonly #o: TableWriterOptions;
  #table: LoadedTable | undefined;
  #manifests: readonly ManifestFile[] | undefined;
  #index: KeyIndex | undefined;

  constructor(o: TableWriterOptions) {
    this.#o = o;
  }

  /** namespace.table, for messages. */
  get name(): string {
    return [...this.#o.id.namespace, this.#o.id.name].join('.');
  }

  get table(): LoadedTable | undefined {
    return this.#table;
  }

  /** Forgets the cached metadata and index (after a failure: the next batch starts from the catalog). */
  async reset(): Promise<void> {
    this.#table = undefined;
    this.#manifests = undefined;
    await this.#index?.drop().catch(() => undefined);
    this.#index = undefined;
  }

  #plan(t: SinkTable, table: LoadedTable | undefined): SchemaPlan {
    const c = this.#o.config;
    const m = table?.metadata;
    const current = m === undefined ? undefined : { schema: m.schemas.find((s) => s['schema-id'] === m['current-schema-id'])!, lastColumnId: m['last-column-id'] };
    return planSchema(t, current, { mode: c.mode, opColumn: c.opColumn, timestampColumn: c.timestampColumn });
  }

  async #load(first: SinkTable): Promise<LoadedTable> {
    if (this.#table !== undefined) return this.#table;
    const { catalog, config } = this.#o;
    let t = await catalog.loadTable(this.#o.id);
    if (t === undefined) {
      const plan = this.#plan(first, undefined);
      const spec = specFor(plan.columns, config.partitioning, `${first.schema}.${first.table}`);
      if (config.mode === 'upsert' && config.deletes === 'equality' && spec.fields.length > 0) {
        throw new FerryError('FERRY_CONFIG_INVALID', `table ${first.schema}.${first.table}: equality deletes with a partitioned table are not supported (a delete would need the row's partition); use deletes: position, or no partitioning`);
      }
      try {
        t = await catalog.createTable({
          identifier: this.#o.id, schema: plan.schema, partitionSpec: spec,
          properties: { 'write.format.default': 'parquet', 'write.parquet.compression-codec': config.compression, 'ferry.mode': config.mode, 'format-version': '2' },
        });
      } catch (e: unknown) {
        if (!(e instanceof TableExistsError)) throw e;
        t = await catalog.loadTable(this.#o.id);
        if (t === undefined) throw e;
      }
    }
    this.#table = t;
    this.#manifests = undefined;
    return t;
  }

  /** Writes `records` (this table's, in log order). Returns the records that can never be written. */
  async write(records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<RejectedRecord[]> {
    try {
      return await this.#write(records, ctx);
    } catch (e: unknown) {
      await this.reset();
      throw e;
    }
  }

  async #write(records: readonly SinkRecord[], ctx: SinkWriteContext): Promise<RejectedRecord[]> {
    let table = await this.#load(records[0]!.table);
    const applied = appliedPositions(table);
    const pending = pendingRecords(records, applied);
    if (pending.records.length === 0) return [];
    const rejected: RejectedRecord[] = [];
    // One commit per run of one table version.
    let i = 0;
    const recs = pending.records;
    while (i < recs.length) {
      let j = i + 1;
      while (j < recs.length && (recs[j]!.table === recs[i]!.table || recs[j]!.table.version === recs[i]!.table.version)) j++;
      const run = recs.slice(i, j);
      for (const r of run) {
        const seq = recordSeq(r);
        if ((applied.get(r.stream) ?? '') < seq) applied.set(r.stream, seq);
      }
      table = await this.#commitRun(table, run, applied, rejected, ctx);
      i = j;
    }
    return rejected;
  }

  async #commitRun(table: LoadedTable, run: readonly SinkRecord[], positions: ReadonlyMap<string, string>, rejected: RejectedRecord[], ctx: SinkWriteContext): Promise<LoadedTable> {
    const { config, duck } = this.#o;
    const sinkTable = run[0]!.table;
    const plan = this.#plan(sinkTable, table);
    const m = table.metadata;
    const spec = m['partition-specs'].find((s) => s['spec-id'] === m['default-spec-id'])!;
    const dataFiles: DataFile[] = [];
    let deleteFiles: DataFile[] = [];
    let truncate = false;
    const temps: string[] = [];
    try {
      if (config.mode === 'append') {
        await this.#stageAppend(run, plan, rejected);
        dataFiles.push(...await this.#writeData(table, plan, spec, 'stage_rows', temps, ctx, sinkTable));
      } else {
        const keys = sinkTable.primaryKey.length > 0 ? sinkTable.primaryKey : sinkTable.columns.map((c) => c.name);
        const keyCols = keys.map((k) => plan.columns.find((c) => c.name === k)!);
        if (config.deletes === 'position') await this.#ensureIndex(table, keyCols, sinkTable.primaryKey.length === 0);
        for (const seg of splitAtTruncates(run, { keylessPassRestarts: true })) {
          if (seg.kind === 'truncate') {
            truncate = true;
            dataFiles.length = 0;
            deleteFiles = [];
            await this.#index?.clear();
            continue;
          }
          await this.#stageUpsert(seg.records, plan, keys, rejected);
          const keyList = keyCols.map((k) => ident(`c${k.id}`)).join(', ');
          await duck.run(`CREATE OR REPLACE TABLE stage_net AS SELECT * FROM stage_rows QUALIFY row_number() OVER (PARTITION BY ${keyList} ORDER BY __seq DESC) = 1`);
          deleteFiles.push(...await this.#writeDeletes(table, keyCols, temps, truncate && dataFiles.length === 0));
          dataFiles.push(...await this.#writeData(table, plan, spec, 'stage_net', temps, ctx, sinkTable, keyCols));
        }
      }
      const out = await commitSnapshot(this.#o.catalog, this.#o.io, {
        base: table, schema: plan.schema, schemaChanged: plan.changed, lastColumnId: plan.lastColumnId,
        dataFiles, deleteFiles, truncate, manifests: this.#manifests, positions, maxSnapshots: config.maxSnapshots, manifestMergeThreshold: config.manifestMergeThreshold,
      });
      this.#table = out.table;
      this.#manifests = out.manifests;
      return out.table;
    } finally {
      await Promise.all(temps.map((t) => rm(t, { force: true })));
    }
  }

  async #ensureIndex(table: LoadedTable, keyCols: readonly MappedColumn[], nullable: boolean): Promise<void> {
    const same = this.#index !== undefined && this.#index.keys.length === keyCols.length && this.#index.keys.every((k, i) => k.id === keyCols[i]!.id);
    if (same) return;
    await this.#index?.drop();
    this.#index = undefined;
    this.#manifests ??= await currentManifests(this.#o.io, table);
    this.#index = await KeyIndex.build(this.#o.duck, this.#o.io, this.#manifests, keyCols, nullable);
  }

  #stageColumns(plan: SchemaPlan): StageColumn<Staged>[] {
    return plan.columns.map((c) => {
      const name = c.name;
      let get: (s: Staged) => unknown;
      switch (c.source) {
        case 'row': get = (s) => s.row?.[name]; break;
        case 'op': get = (s) => OP_LETTER[s.r.envelope.op]; break;
        case 'commit_ts': get = (s) => commitMicros(s.r); break;
        case 'position': get = (s) => s.r.position ?? sourcePosition(s.r.envelope.source); break;
        case 'event': get = (s) => s.r.event; break;
        case 'partition': get = (s) => s.r.partition; break;
        case 'offset': get = (s) => s.r.offset; break;
      }
      return { name: `c${c.id}`, codec: c.codec, get };
    });
  }

  async #stage(rows: Staged[], plan: SchemaPlan, rejected: RejectedRecord[]): Promise<void> {
    let seq = 0;
    const m = this.#table!.metadata;
    const spec = m['partition-specs'].find((x) => x['spec-id'] === m['default-spec-id'])!;
    const buckets: StageColumn<Staged>[] = spec.fields.flatMap((f) => {
      const n = bucketWidth(f.transform);
      const c = plan.columns.find((x) => x.id === f['source-id']);
      if (n === null || c === undefined) return [];
      const { name, type } = c;
      return [{ name: bucketColumn(c.id, n), codec: INT_CODEC_STAGE, get: (s: Staged) => bucketOf(type, n, s.row?.[name]) }];
    });
    const cols: StageColumn<Staged>[] = [
      { name: '__seq', codec: INT_CODEC_STAGE, get: () => seq++ },
      { name: '__del', codec: BOOLEAN_CODEC_STAGE, get: (s) => s.del },
      { name: '__eq', codec: BOOLEAN_CODEC_STAGE, get: (s) => s.eq },
      ...this.#stageColumns(plan),
      ...buckets,
    ];
    const out = await this.#o.duck.stage('stage_rows', cols, rows);
    const seen = new Set<SinkRecord>();
    for (const x of out.rejected) {
      if (seen.has(x.row.r)) continue;
      seen.add(x.row.r);
      rejected.push({ record: x.row.r, reason: x.reason });
    }
  }

  async #stageAppend(run: readonly SinkRecord[], plan: SchemaPlan, rejected: RejectedRecord[]): Promise<void> {
    const rows: Staged[] = run.map((r) => ({ r, row: r.envelope.op === 't' ? null : (r.envelope.after ?? r.envelope.before ?? r.key), del: false, eq: false }));
    await this.#stage(rows, plan, rejected);
  }

  async #stageUpsert(records: readonly SinkRecord[], plan: SchemaPlan, keys: readonly string[], rejected: RejectedRecord[]): Promise<void> {
    const applied = this.#table === undefined ? new Map<string, string>() : appliedPositions(this.#table);
    const rows: Staged[] = [];
    for (const r of records) {
      const { op, before, after } = r.envelope;
      if (op === 'd') {
        const img = before ?? r.key;
        if (img !== null) rows.push({ r, row: img, del: true, eq: true });
        continue;
      }
      if (after === null) continue;
      if (op === 'u' && before !== null && keyText(keys, before) !== keyText(keys, after)) rows.push({ r, row: before, del: true, eq: true });
      // A snapshot read at the applied position is applied again (direct mode numbers a chunk's reads alike).
      const again = op === 'r' && r.offset === null && isAppliedAt(r, applied.get(r.stream));
      rows.push({ r, row: after, del: false, eq: op === 'u' || again });
    }
    await this.#stage(rows, plan, rejected);
  }

  /** Delete files for the staged keys that may have live rows. */
  async #writeDeletes(table: LoadedTable, keyCols: readonly MappedColumn[], temps: string[], fresh: boolean): Promise<DataFile[]> {
    const { duck, config, io } = this.#o;
    const fmt = `FORMAT parquet, COMPRESSION ${config.compression}, ROW_GROUP_SIZE ${config.rowGroupRows}`;
    const out: DataFile[] = [];
    if (config.deletes === 'equality') {
      if (fresh) return out;
      const keyList = keyCols.map((k) => `CAST(${ident(`c${k.id}`)} AS ${duckTypeOf(k.type)}) AS ${ident(k.name)}`).join(', ');
      const n = Number((await duck.rows('SELECT count(*) AS n FROM stage_rows WHERE __eq'))[0]!.n);
      if (n === 0) return out;
      const tmp = duck.tempPath('parquet');
      temps.push(tmp);
      const ids = `{${keyCols.map((k) => `${literal(k.name)}: ${k.id}`).join(', ')}}`;
      await duck.run(`COPY (SELECT DISTINCT ${keyList} FROM stage_rows WHERE __eq) TO ${literal(tmp)} (${fmt}, FIELD_IDS ${ids})`);
      const rows = Number((await duck.rows(`SELECT count(*) AS n FROM read_parquet(${literal(tmp)})`))[0]!.n);
      const path = `${table.metadata.location}/data/${randomUUID()}-eq-deletes.parquet`;
      const size = (await stat(tmp)).size;
      await io.putFile(path, tmp);
      out.push({ content: 2, filePath: path, fileFormat: 'PARQUET', partition: {}, recordCount: rows, fileSizeInBytes: size, equalityIds: keyCols.map((k) => k.id) });
      return out;
    }
    const idx = this.#index!;
    if (fresh) {
      await duck.run(`DELETE FROM ${idx.table}`);
      return out;
    }
    await duck.run(`CREATE OR REPLACE TABLE stage_dels AS SELECT f.grp, f.path AS file_path, i.__p AS pos FROM ${idx.table} i JOIN ${idx.files} f ON f.id = i.__f
      SEMI JOIN stage_net s ON ${idx.joinOn('i')}`);
    const groups = await duck.rows('SELECT grp, count(*) AS n FROM stage_dels GROUP BY grp ORDER BY grp');
    for (const g of groups) {
      const tmp = duck.tempPath('parquet');
      temps.push(tmp);
      await duck.run(`COPY (SELECT file_path, pos FROM stage_dels WHERE grp = ${Number(g.grp)} ORDER BY file_path, pos) TO ${literal(tmp)} (${fmt}, FIELD_IDS ${POS_DELETE_IDS})`);
      const partition = [...idx.groups.values()].find((x) => x.id === Number(g.grp))!.partition;
      const path = `${table.metadata.location}/data/${randomUUID()}-deletes.parquet`;
      const size = (await stat(tmp)).size;
      await io.putFile(path, tmp);
      out.push({ content: 1, filePath: path, fileFormat: 'PARQUET', partition: partition as DataFile['partition'], recordCount: Number(g.n), fileSizeInBytes: size });
    }
    if (groups.length > 0) await duck.run(`DELETE FROM ${idx.table} i USING stage_net s WHERE ${idx.joinOn('i')}`);
    return out;
  }

  /** Data files of the rows of `source` (stage_net: those not deleted), one per partition, in staged order. */
  async #writeData(table: LoadedTable, plan: SchemaPlan, spec: PartitionSpec, source: string, temps: string[], ctx: SinkWriteContext,
    sinkTable: SinkTable, keyCols?: readonly MappedColumn[]): Promise<DataFile[]> {
    const { duck, config, io } = this.#o;
    const parts = spec.fields.map((f, i) => {
      const col = plan.columns.find((c) => c.id === f['source-id']);
      if (col === undefined) {
        throw new FerryError('FERRY_TARGET_SCHEMA_CHANGE', `table ${sinkTable.schema}.${sinkTable.table}: the column of partition field ${f.name} (field id ${f['source-id']}) was dropped or changed type in the source, and the Iceberg table is partitioned on it; restore the column, or drop the Iceberg table (or give the task a new namespace) so that it is created again with a spec from the current columns`);
      }
      return { f, expr: `${partitionExpr(f.transform, col)} AS __p${i}` };
    });
    const where = source === 'stage_net' ? 'WHERE NOT __del' : '';
    const order = parts.length === 0 ? '1' : `dense_rank() OVER (ORDER BY ${parts.map((_, i) => `__p${i}`).join(', ')})`;
    await duck.run(`CREATE OR REPLACE TABLE stage_out AS SELECT *, ${order} AS __part FROM (SELECT *${parts.map((p) => `, ${p.expr}`).join('')} FROM ${source} ${where})`);
    const groups = await duck.rows(`SELECT __part, count(*) AS __n${parts.map((_, i) => `, any_value(__p${i}) AS __p${i}`).join('')}, ${statsSelect(plan.columns)} FROM stage_out GROUP BY __part ORDER BY __part`);
    const select = plan.columns.map((c) => `CAST(${ident(`c${c.id}`)} AS ${duckTypeOf(c.type)}) AS ${ident(c.name)}`).join(', ');
    const ids = `{${plan.columns.map((c) => `${literal(c.name)}: ${c.id}`).join(', ')}}`;
    const out: DataFile[] = [];
    for (const g of groups) {
      const rows = Number(g.__n);
      const tmp = duck.tempPath('parquet');
      temps.push(tmp);
      await duck.run(`COPY (SELECT ${select} FROM stage_out WHERE __part = ${Number(g.__part)} ORDER BY __seq) TO ${literal(tmp)} (FORMAT parquet, COMPRESSION ${config.compression}, ROW_GROUP_SIZE ${config.rowGroupRows}, FIELD_IDS ${ids})`);
      const partition: Record<string, number | string | boolean | null> = {};
      parts.forEach((p, i) => { partition[p.f.name] = manifestValue(g[`__p${i}`]); });
      const folder = parts.length === 0 ? 'data' : `data/${partitionPath(spec, partition)}`;
      const path = `${table.metadata.location}/${folder}/${randomUUID()}.parquet`;
      const size = (await stat(tmp)).size;
      await io.putFile(path, tmp);
      ctx.report.file(sinkTable, size, rows);
      if (keyCols !== undefined && this.#index !== undefined) {
        const fid = await this.#index.addFile(path, partition);
        await duck.run(`INSERT INTO ${this.#index.table} SELECT ${keyCols.map((k) => ident(`c${k.id}`)).join(', ')}, ${fid}, row_number() OVER (ORDER BY __seq) - 1
          FROM stage_out WHERE __part = ${Number(g.__part)}`);
      }
      out.push({ content: 0, filePath: path, fileFormat: 'PARQUET', partition, recordCount: rows, fileSizeInBytes: size, ...statsOf(plan.columns, g, rows) });
    }
    return out;
  }
}

function isAppliedAt(r: SinkRecord, done: string | undefined): boolean {
  return done !== undefined && recordSeq(r) === done && !isApplied(r, done);
}

function commitMicros(r: SinkRecord): number | bigint | null {
  const s = r.envelope.source;
  if (typeof s.ts_us === 'number' || typeof s.ts_us === 'bigint') return s.ts_us;
  if (typeof s.ts_ms === 'number') return s.ts_ms * 1000;
  if (typeof s.ts_ms === 'bigint') return s.ts_ms * 1000n;
  return null;
}

function sourcePosition(s: Readonly<Record<string, unknown>>): string | null {
  if (s.lsn !== undefined && s.lsn !== null) return `lsn:${String(s.lsn)}`;
  if (typeof s.file === 'string' && s.pos !== undefined && s.pos !== null) return `${s.file}:${String(s.pos)}`;
  return null;
}

export type { IcebergSchema };
