/**
 * TEST-ONLY STAND-IN FOR REDSHIFT — NOT REDSHIFT, AND NEVER USED OUTSIDE TESTS.
 *
 * No Redshift engine runs locally, so the integration tests send the sink's Redshift SQL here instead:
 *   - COPY … FROM 's3://…' (which PostgreSQL cannot parse) is regex-parsed: the S3 prefix is listed in moto, every
 *     object under it is downloaded and read with DuckDB (read_parquet / read_csv with the COPY's options), and the
 *     rows are loaded into the PostgreSQL 15 table with COPY … FROM STDIN. Parquet columns are matched BY POSITION,
 *     as Redshift does; a column-count mismatch fails like Redshift's COPY. COPY must name IAM_ROLE or access keys.
 *   - DDL is rewritten: DISTSTYLE, DISTKEY, SORTKEY and ENCODE are removed; VARBYTE(n) becomes BYTEA; GETDATE()
 *     becomes now(). The session sets standard_conforming_strings=off, so backslashes in literals escape as in
 *     Redshift.
 *   - Everything else, MERGE included (PostgreSQL 15 has MERGE), runs unchanged.
 * Every statement exactly as the sink sent it is kept in `statements`.
 *
 * What this proves: the orchestration (staging, COPY targets and options, temp tables, statement order, the
 * transaction, the applied-position table), that the generated SQL is accepted by a PostgreSQL-family parser, and
 * that the data survives the Parquet/CSV round trip with the declared column types.
 * What it cannot prove: Redshift's own behaviour — its COPY type coercions and error tables (stl_load_errors),
 * Parquet timestamp and TIME handling in Redshift, VARBYTE and SUPER semantics, identifier case folding, MERGE
 * restrictions specific to Redshift, serializable-isolation conflicts, IAM/S3 access, performance. The opt-in
 * suite test/integration/real-redshift.test.ts (REDSHIFT_IT=1) covers those against a real cluster.
 */
import { mkdtempSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { S3Client, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { SqlExecutor, SqlResult } from '../src/sql-executor.ts';

export interface TestOnlyPgCopyExecutorOptions {
  readonly pg: { readonly host: string; readonly port: number; readonly database: string; readonly user: string; readonly password: string };
  readonly s3: { readonly endpoint: string; readonly region: string; readonly accessKeyId: string; readonly secretAccessKey: string };
}

interface ParsedCopy {
  readonly target: string;
  readonly columns: string[] | null;
  readonly bucket: string;
  readonly prefix: string;
  readonly format: 'parquet' | 'csv';
  readonly delimiter: string;
  readonly quote: string;
  readonly nullAs: string;
  readonly gzip: boolean;
  readonly ignoreHeader: number;
}

/** A Redshift string literal's value ('' and backslash escapes). */
function unquote(lit: string): string {
  return lit.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1');
}

const LIT = String.raw`'(?:[^'\\]|''|\\.)*'`;

export function parseCopy(sql: string): ParsedCopy {
  const m = new RegExp(String.raw`^\s*COPY\s+((?:"[^"]+"\.)?"[^"]+")(?:\s*\(([^)]*)\))?\s+FROM\s+(${LIT})\s+([\s\S]*)$`, 'i').exec(sql);
  if (!m) throw new Error(`stand-in: cannot parse COPY: ${sql}`);
  const from = unquote(m[3]!);
  const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(from);
  if (!s3) throw new Error(`stand-in: COPY source is not s3://bucket/prefix: ${from}`);
  const rest = m[4]!;
  if (!new RegExp(String.raw`\bIAM_ROLE\s+${LIT}|\bACCESS_KEY_ID\s+${LIT}\s+SECRET_ACCESS_KEY\s+${LIT}`, 'i').test(rest)) {
    throw new Error('stand-in: COPY without IAM_ROLE or ACCESS_KEY_ID/SECRET_ACCESS_KEY (Redshift would refuse it)');
  }
  const opt = (name: string): string | undefined => {
    const x = new RegExp(String.raw`\b${name}\s+(?:AS\s+)?(${LIT})`, 'i').exec(rest);
    return x ? unquote(x[1]!) : undefined;
  };
  const format = /\bFORMAT\s+AS\s+PARQUET\b/i.test(rest) ? 'parquet' : /\bFORMAT\s+AS\s+CSV\b|\bCSV\b/i.test(rest) ? 'csv' : null;
  if (format === null) throw new Error(`stand-in: only FORMAT AS PARQUET and CSV are emulated: ${rest}`);
  return {
    target: m[1]!, columns: m[2] ? m[2].split(',').map((c) => c.trim()) : null, bucket: s3[1]!, prefix: s3[2]!, format,
    delimiter: opt('DELIMITER') ?? ',', quote: opt('QUOTE') ?? '"', nullAs: opt('NULL') ?? '', gzip: /\bGZIP\b/i.test(rest),
    ignoreHeader: Number(/\bIGNOREHEADER\s+(?:AS\s+)?(\d+)/i.exec(rest)?.[1] ?? 0),
  };
}

/** Redshift-only DDL → PostgreSQL. */
export function translate(sql: string): string {
  return sql
    .replace(/\s+DISTSTYLE\s+(?:KEY|AUTO|EVEN|ALL)\b/gi, '')
    .replace(/\s+DISTKEY\s*\([^)]*\)/gi, '')
    .replace(/\s+(?:COMPOUND\s+|INTERLEAVED\s+)?SORTKEY\s*\([^)]*\)/gi, '')
    .replace(/\s+ENCODE\s+\w+/gi, '')
    .replace(/\bVARBYTE\s*\(\s*\d+\s*\)|\bVARBYTE\b/gi, 'BYTEA')
    .replace(/\bGETDATE\(\)/gi, 'now()');
}

export class TestOnlyPgCopyExecutor implements SqlExecutor {
  /** Every statement as the sink sent it. */
  readonly statements: string[] = [];
  readonly #o: TestOnlyPgCopyExecutorOptions;
  readonly #s3: S3Client;
  #client: pg.Client | undefined;

  constructor(options: TestOnlyPgCopyExecutorOptions) {
    this.#o = options;
    this.#s3 = new S3Client({
      region: options.s3.region, endpoint: options.s3.endpoint, forcePathStyle: true,
      credentials: { accessKeyId: options.s3.accessKeyId, secretAccessKey: options.s3.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async #pg(): Promise<pg.Client> {
    if (!this.#client) {
      const c = new pg.Client({ ...this.#o.pg });
      await c.connect();
      await c.query('SET standard_conforming_strings = off');
      await c.query('SET escape_string_warning = off');
      await c.query("SET TimeZone = 'UTC'");
      this.#client = c;
    }
    return this.#client;
  }

  async execute(sql: string): Promise<SqlResult> {
    this.statements.push(sql);
    if (/^\s*COPY\b/i.test(sql)) return this.#copy(parseCopy(sql));
    const r = await (await this.#pg()).query(translate(sql));
    return { rows: (r.rows ?? []) as Record<string, unknown>[], rowCount: r.rowCount ?? 0 };
  }

  async #copy(c: ParsedCopy): Promise<SqlResult> {
    const client = await this.#pg();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.#s3.send(new ListObjectsV2Command({ Bucket: c.bucket, Prefix: c.prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    if (keys.length === 0) throw new Error(`stand-in COPY: the specified S3 prefix '${c.prefix}' does not exist`);
    const dir = mkdtempSync(join(tmpdir(), 'ferry-standin-'));
    const inst = await DuckDBInstance.create(':memory:');
    const duck = await inst.connect();
    try {
      await duck.run("SET TimeZone = 'UTC'");
      const files: string[] = [];
      for (const [i, k] of keys.entries()) {
        const r = await this.#s3.send(new GetObjectCommand({ Bucket: c.bucket, Key: k }));
        const p = join(dir, `${i}.${c.format === 'parquet' ? 'parquet' : c.gzip ? 'csv.gz' : 'csv'}`);
        writeFileSync(p, Buffer.from(await r.Body!.transformToByteArray()));
        files.push(p);
      }
      const fields = (await client.query(`SELECT * FROM ${c.target} LIMIT 0`)).fields;
      const names = c.columns ?? fields.map((f) => `"${f.name}"`);
      const byName = new Map(fields.map((f) => [`"${f.name}"`, f]));
      const list = `[${files.map((f) => `'${f}'`).join(', ')}]`;
      const src = c.format === 'parquet'
        ? `read_parquet(${list})`
        : `read_csv(${list}, header = ${c.ignoreHeader > 0}, delim = '${c.delimiter}', quote = '${c.quote}', escape = '${c.quote}', nullstr = '${c.nullAs.replace(/'/g, "''")}', all_varchar = true, auto_detect = false, columns = {${names.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ')}})`;
      const desc = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`)).getRowObjectsJS() as { column_name: string; column_type: string }[];
      if (desc.length !== names.length) throw new Error(`stand-in COPY: the files have ${desc.length} columns and the target list ${names.length} (Redshift loads Parquet by position)`);
      const exprs = desc.map((d, i) => {
        const q = `"${d.column_name.replace(/"/g, '""')}"`;
        const bytea = byName.get(names[i]!)?.dataTypeID === 17;
        if (bytea) return d.column_type === 'BLOB' ? `'\\x' || lower(hex(${q}))` : `'\\x' || ${q}`;
        return `CAST(${q} AS VARCHAR)`;
      });
      const csv = join(dir, 'load.csv');
      await duck.run(`COPY (SELECT ${exprs.join(', ')} FROM ${src}) TO '${csv}' (FORMAT csv, HEADER false, NULLSTR '\\N', QUOTE '"', ESCAPE '"')`);
      const stream = client.query(copyFrom(`COPY ${c.target} (${names.join(', ')}) FROM STDIN WITH (FORMAT csv, NULL E'\\\\N')`));
      await pipeline(createReadStream(csv), stream);
      return { rows: [], rowCount: Number(stream.rowCount ?? 0) };
    } finally {
      duck.closeSync();
      inst.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.#client?.end().catch(() => {});
    this.#client = undefined;
    this.#s3.destroy();
  }
}
