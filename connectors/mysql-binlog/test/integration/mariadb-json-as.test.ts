/**
 * `source.mariadbJsonAs` on a real MariaDB: a JSON column (MariaDB's LONGTEXT + json_valid check) comes out of the
 * snapshot and the binlog as io.debezium.data.Json by default and as a plain string with `string`, with the same text.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import type { ChangeBatch } from '../../../../core/src/types.ts';
import { collect, createDatabase, events, sourceOptions } from './helpers.ts';

let db: string;
let conn: mysql.Connection;
let drop: () => Promise<void>;

before(async () => {
  ({ db, conn, drop } = await createDatabase('ferry_it_jsonas'));
  await conn.query('CREATE TABLE docs (id INT PRIMARY KEY, doc JSON, note LONGTEXT)');
  await conn.query(`INSERT INTO docs VALUES (1, '{"a": [1, 2.50, "x"], "big": 12345678901234567890}', 'n')`);
});

after(async () => { await drop(); });

async function run(mode: 'json' | 'string' | undefined, insertId: number): Promise<ChangeBatch[]> {
  const base = await sourceOptions(db);
  const opts = { ...base, config: { ...base.config, ...(mode ? { mariadbJsonAs: mode } : {}) } };
  let started: Promise<unknown> | null = null;
  const { batches } = await collect(opts, null, (b) => {
    if (b.some((x) => x.snapshotDone)) started ??= conn.query(`INSERT INTO docs VALUES (${insertId}, '{"b": null}', 'm')`);
    return events(b).some((e) => e.op === 'c' && e.after?.id === insertId);
  }, 30000);
  await started;
  return batches;
}

for (const [mode, id] of [[undefined, 10], ['json', 11], ['string', 12]] as const) {
  test(`mariadbJsonAs ${mode ?? '(default)'}: snapshot and binlog events type the JSON column ${mode === 'string' ? 'as a plain string' : 'io.debezium.data.Json'}`, async () => {
    const evs = events(await run(mode, id)).filter((e) => e.table.id.table === 'docs');
    const read = evs.find((e) => e.op === 'r' && e.after?.id === 1)!;
    const created = evs.find((e) => e.op === 'c' && e.after?.id === id)!;
    const want = mode === 'string' ? { type: 'string' } : { type: 'string', logical: 'io.debezium.data.Json', version: 1 };
    for (const e of [read, created]) {
      const doc = e.table.columns.find((c) => c.name === 'doc')!;
      assert.deepEqual(doc.type, want);
      assert.equal(doc.sourceType, 'longtext');
      assert.deepEqual(e.table.columns.find((c) => c.name === 'note')!.type, { type: 'string' });
    }
    assert.equal(read.after!.doc, '{"a": [1, 2.50, "x"], "big": 12345678901234567890}');
    assert.equal(created.after!.doc, '{"b": null}');
  });
}
