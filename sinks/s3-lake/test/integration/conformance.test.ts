// The shared sink conformance suite (test/conformance/sink-suite.ts) against the lake on moto S3: a bucket per
// test; the files are downloaded with the runtime's object store and read with DuckDB's own read_parquet / read_csv
// (helpers/read-lake.ts), deduplicating on (_kafka_partition, _kafka_offset) as docs/sinks/s3-lake.md tells readers.
import { registerSinkTests, type SinkFixture } from '../../../../test/conformance/sink-suite.ts';
import { openObjectStore } from '../../../../runtime/src/storage/object-store.ts';
import { createBucket, S3 } from '../../../../test/helpers/sink-kit/services.ts';
import { lakeSink } from '../../src/descriptor.ts';
import { COLUMNS_V2 } from '../../../../test/helpers/sink-kit/fixtures.ts';
import { download, latestState, query } from '../helpers/read-lake.ts';

/** A DuckDB source over the CSV files with typed columns: bytes unhexed, temporal text cast, offsets numeric. */
async function csvSource(files: string): Promise<string> {
  const raw = `read_csv('${files}', header = true, delim = ',', quote = '"', escape = '"', nullstr = 'NULL', union_by_name = true, all_varchar = true)`;
  const present = new Set((await query(`DESCRIBE SELECT * FROM ${raw}`)).map((d) => d.column_name));
  const cast: Record<string, string> = { timestamp: 'TIMESTAMPTZ', date: 'DATE', time: 'TIME' };
  const typed = COLUMNS_V2.filter((c) => present.has(c.name) && (c.kind === 'bytes' || cast[c.kind]))
    .map((c) => (c.kind === 'bytes' ? `unhex("${c.name}")` : `CAST("${c.name}" AS ${cast[c.kind]})`) + ` AS "${c.name}"`);
  return `(SELECT * REPLACE (${[...typed, 'CAST(_kafka_offset AS BIGINT) AS _kafka_offset'].join(', ')}) FROM ${raw})`;
}

const lake = (type: 'parquet' | 'csv'): SinkFixture => ({
  type,
  async target(name) {
    const bucket = name.replace(/_/g, '-').toLowerCase();
    await createBucket(bucket);
    const location = `s3://${bucket}/lake`;
    const csv = { delimiter: ',', header: true, nullValue: 'NULL' };
    return {
      options: { location, s3: { ...S3 }, partitioning: { by: 'none' }, ...(type === 'csv' ? { csv } : {}) },
      async read(t) {
        const { dir, keys } = await download(await openObjectStore(location, { ...S3 }));
        if (keys.length === 0) return { rows: [] };
        const files = `${dir}/${t.schema}/${t.table}/**/*.${type}`;
        // CSV holds text only: read every column as text, then give each the type its Parquet reading has, so
        // the reader's canonical SQL (fixtures.ts duckCanonicalSql) applies unchanged.
        const format = type === 'parquet' ? 'parquet' as const : { csv: await csvSource(files) };
        const s = await latestState(files, 'kafka', format);
        return { rows: s.rows, duplicates: s.duplicates };
      },
    };
  },
  // A MySQL TIME used as a duration (-10:00:00) cannot be a Parquet/DuckDB TIME (lake-types.test.ts).
  poison: { after: (row) => ({ ...row, alarm: -36_000_000_000 }), reason: /outside one day/ },
});

registerSinkTests(lakeSink, lake('parquet'));
registerSinkTests(lakeSink, lake('csv'));
