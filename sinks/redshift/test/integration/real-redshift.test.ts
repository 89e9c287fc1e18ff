// Layer 3, opt-in: the Redshift sink against a REAL Redshift cluster or serverless workgroup, which the PostgreSQL
// stand-in cannot replace (type coercion in COPY, Parquet timestamps/TIME, VARBYTE, MERGE as Redshift runs it,
// identifier case). Skipped unless REDSHIFT_IT=1. Never run in CI. Needs:
//   REDSHIFT_HOST, REDSHIFT_PORT (5439), REDSHIFT_DATABASE, REDSHIFT_USER, REDSHIFT_PASSWORD
//   REDSHIFT_STAGING=s3://bucket/prefix      staging location (uploaded with the AWS SDK's default credentials)
//   REDSHIFT_IAM_ROLE=arn:aws:iam::…:role/…  role COPY uses (or REDSHIFT_COPY_ACCESS_KEY_ID + REDSHIFT_COPY_SECRET_ACCESS_KEY)
//   REDSHIFT_COPY_REGION                      when the bucket is in another region than the cluster
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PromMetrics } from '../../../../runtime/src/metrics/metrics.ts';
import { RedshiftSink } from '../../src/RedshiftSink.ts';
import type { RedshiftConfigInput } from '../../src/config.ts';
import { checksum, COLUMNS_V2, expectedRows, fixture, normalizeRead, pgCanonicalSql, workload } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { kafkaRecords } from '../../../../test/helpers/sink-kit/records.ts';
import { quietLog, uniqueName } from '../../../../test/helpers/sink-kit/services.ts';

const env = process.env;
const enabled = env.REDSHIFT_IT === '1';

function config(schema: string): RedshiftConfigInput {
  return {
    connection: { host: env.REDSHIFT_HOST!, port: Number(env.REDSHIFT_PORT ?? 5439), database: env.REDSHIFT_DATABASE!, user: env.REDSHIFT_USER!, password: env.REDSHIFT_PASSWORD! },
    targetSchema: schema, stateSchema: schema,
    staging: { location: env.REDSHIFT_STAGING!, format: (env.REDSHIFT_STAGING_FORMAT as 'parquet' | 'csv' | undefined) ?? 'parquet' },
    copyAuth: env.REDSHIFT_IAM_ROLE ? { iamRole: env.REDSHIFT_IAM_ROLE } : { accessKeyId: env.REDSHIFT_COPY_ACCESS_KEY_ID!, secretAccessKey: env.REDSHIFT_COPY_SECRET_ACCESS_KEY! },
    ...(env.REDSHIFT_COPY_REGION ? { copyRegion: env.REDSHIFT_COPY_REGION } : {}),
  };
}

test('real Redshift: snapshot COPY, MERGE of changes, an added column, redelivery; the table equals the source', { skip: !enabled && 'set REDSHIFT_IT=1 and the REDSHIFT_* variables to run against a real cluster', timeout: 900000 }, async () => {
  const schema = uniqueName('ferry_it');
  const fx = fixture();
  const w = workload(fx, { prefix: schema, rows: 2000, changesV1: 2000, changesV2: 2000, snapshotRows: 1000 });
  const { records } = await kafkaRecords(w.events, { prefix: schema, partitions: 2 });
  const sink = new RedshiftSink({ name: 'it', config: config(schema) });
  const ctx = { signal: new AbortController().signal, log: quietLog(), metrics: new PromMetrics({ collectProcessMetrics: false }), report: { file() {} } };
  const c = new pg.Client({ host: env.REDSHIFT_HOST, port: Number(env.REDSHIFT_PORT ?? 5439), database: env.REDSHIFT_DATABASE, user: env.REDSHIFT_USER, password: env.REDSHIFT_PASSWORD, ssl: { rejectUnauthorized: true } });
  await c.connect();
  try {
    await sink.write(records.slice(0, 3000), ctx);
    await sink.write(records.slice(2000), ctx); // redelivered from earlier, cut differently
    const cols = COLUMNS_V2.map((col) => (col.kind === 'bytes' ? `lower(to_hex("${col.name}")) AS "${col.name}"` : `${pgCanonicalSql(col)} AS "${col.name}"`));
    const r = await c.query(`SELECT ${cols.join(', ')} FROM "${schema}"."orders"`);
    const rows = (r.rows as Record<string, string | null>[]).map((row) => COLUMNS_V2.map((col) => normalizeRead(col, row[col.name] ?? null)).join('|'));
    assert.equal(checksum(rows), checksum(expectedRows(w)));
  } finally {
    await sink.close();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await c.end();
  }
});
