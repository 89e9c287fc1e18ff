/**
 * Applies one run of changes of one table inside the sink's open transaction (PostgresSink owns the transaction, the
 * schema and the positions):
 *
 *   leading snapshot reads (a full load)  COPY straight into the table inside a savepoint (Kafka mode: binary COPY
 *                                         of the after-images' Avro bytes, pg-copy-binary.ts, the rest as text); if a
 *                                         row is already there
 *                                         (unique violation: a redelivered or restarted snapshot), roll back to the
 *                                         savepoint and upsert them instead
 *   the rest, table with a primary key    net change per key (runtime/src/relational/net-changes.ts): one DELETE of
 *                                         the deleted keys, then one INSERT … ON CONFLICT DO UPDATE per schema
 *                                         version; through COPY into a temp table at copyThreshold rows or more
 *   the rest, table without a key         in log order: inserts in multi-row statements (or COPY), each update and
 *                                         delete on one row matching the whole before-image (IS NOT DISTINCT FROM)
 */
import type pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';
import type { Row } from '../../../core/src/types.ts';
import { leadingReads, netChanges, type NetDelete } from '../../../runtime/src/relational/net-changes.ts';
import { opOf } from '../../../runtime/src/sink-worker/record-decoder.ts';
import { copyField, type PgColumn } from './pg-types.ts';
import { binaryRowEncoder, BinaryOut, COPY_BINARY_HEADER, COPY_BINARY_TRAILER, type BinaryRowEncoder } from './pg-copy-binary.ts';
import * as sql from './pg-sql.ts';

/**
 * A record's image as target text (or null) per column of `columns`: 'after', 'before' (the before-image, or the key
 * when there is none), or a key row built from an image. Within one call site `columns` is one array for one table
 * version (the encoder caches column positions by its identity).
 */
export type RowEncoder = (record: SinkRecord, image: 'after' | 'before' | Row, columns: readonly string[]) => (string | null)[];

export interface TargetShape {
  readonly ref: sql.TableRef;
  /** The target's columns (name → type as format_type prints it). */
  readonly types: ReadonlyMap<string, string>;
  readonly primaryKey: readonly string[];
}

/** PostgreSQL accepts at most 65535 parameters per statement. */
const MAX_PARAMS = 65_535;

export interface TableWriterOptions {
  readonly client: pg.Client;
  readonly encode: RowEncoder;
  readonly copyThreshold: number;
  readonly nextStage: () => string;
  /**
   * Statement text → prepared-statement name, for this connection (the sink drops it with the connection): the
   * small multi-row statements repeat (same table, columns and row count), so PostgreSQL parses each once.
   */
  readonly prepared: Map<string, string>;
  /**
   * Row by row: each change in its own savepoint, and a change PostgreSQL refuses with a data or constraint error
   * (SQLSTATE class 22 or 23) is handed here (to be dead-lettered) instead of failing the transaction. The sink
   * switches to it for a transaction that failed that way in bulk.
   */
  readonly onRefused?: (record: SinkRecord, reason: string) => void;
  /**
   * Script mode (transactional apply of small transactions): parameterised statements are not sent but appended
   * here with their values inlined, for the sink to send with the transaction's COMMIT in one round trip. A COPY
   * sends what is pending first. Only when no identifier holds a `$` (see sql.inline).
   */
  readonly script?: string[];
  /**
   * Kafka mode's full-load fast path: `afterAt(r)` is the offset of a lazily decoded snapshot read's after-image in
   * its valueBytes (-1: the sink encoded the record already), and `late(records)` encodes records that skipped the
   * sink's encoding as text (pg-types.ts), returning those not rejected.
   */
  readonly fastReads?: {
    readonly afterAt: (r: SinkRecord) => number;
    readonly late: (records: readonly SinkRecord[]) => SinkRecord[];
  };
}

/** A version's net upserts as binary COPY data (#planUpserts): the tuples' columns, the data, the records it holds. */
interface BinaryUpserts {
  readonly columns: readonly string[];
  readonly chunks: readonly Buffer[];
  readonly copied: ReadonlySet<SinkRecord>;
}

interface UpsertPlan {
  readonly binary: ReadonlyMap<SinkTable, BinaryUpserts>;
  readonly refused: ReadonlySet<SinkRecord>;
}

/** Binary COPY chunks of about this size go to the server while the next ones are encoded. */
const COPY_CHUNK = 256 * 1024;

/** SQLSTATE classes of errors a single value or row causes: data exceptions, integrity constraint violations. */
export function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

export class TableWriter {
  readonly #o: TableWriterOptions;

  constructor(o: TableWriterOptions) {
    this.#o = o;
  }

  /** The version's columns that the target has, with the target's types. */
  #columns(target: TargetShape, table: SinkTable): PgColumn[] {
    const out: PgColumn[] = [];
    for (const c of table.columns) {
      const type = target.types.get(c.name);
      if (type !== undefined) out.push({ name: c.name, type, nullable: true });
    }
    return out;
  }

  async apply(target: TargetShape, records: readonly SinkRecord[]): Promise<void> {
    const pk = target.primaryKey;
    if (this.#o.onRefused) return this.#applyRowByRow(target, records, this.#o.onRefused); // (the sink encoded them all)
    // Snapshot reads left as Avro bytes take the binary path only as a keyed table's leading reads; elsewhere they are
    // encoded as text first (a value the target cannot hold rejects its record, as in the sink's own encoding).
    const late = this.#o.fastReads?.late ?? ((rs: readonly SinkRecord[]) => rs);
    if (pk.length === 0) return this.#applyKeyless(target, late(records));
    const { reads, rest } = leadingReads(records);
    if (reads.length > 0) await this.#fullLoad(target, reads);
    if (rest.length === 0) return;
    const fast = this.#o.fastReads;
    if (fast === undefined) {
      const net = netChanges(rest, pk);
      if (net.deletes.length > 0) await this.#delete(target, net.deletes);
      await this.#upsertByVersion(target, net.upserts, pk);
      return;
    }
    // Snapshot reads among the rest are encoded (checked) first, as the sink does with every other record.
    const readsIn = rest.filter((r) => opOf(r) === 'r');
    let todo = rest;
    if (readsIn.length > 0) {
      const kept = new Set(fast.late(readsIn));
      todo = rest.filter((r) => opOf(r) !== 'r' || kept.has(r));
    }
    // Deferred after-images (inserts and updates the sink left as Avro bytes) of the net upserts are copied in binary
    // or encoded now; one the target cannot hold is rejected, and the net change of its key is computed again
    // without it (as if the sink had rejected it before net-changes, the order of every other path).
    for (;;) {
      const net = netChanges(todo, pk);
      const plan = this.#planUpserts(target, net.upserts, fast);
      if (plan.refused.size > 0) {
        todo = todo.filter((r) => !plan.refused.has(r));
        continue;
      }
      if (net.deletes.length > 0) await this.#delete(target, net.deletes);
      await this.#upsertByVersion(target, net.upserts, pk, plan.binary);
      return;
    }
  }

  /**
   * The binary COPY data of the upserts of each version with at least copyThreshold of them (pg-copy-binary.ts) and
   * the records that took the text path instead (`late`, which encodes deferred after-images); `refused`: those the
   * late encoding rejected.
   */
  #planUpserts(target: TargetShape, upserts: readonly SinkRecord[], fast: NonNullable<TableWriterOptions['fastReads']>): UpsertPlan {
    const binary = new Map<SinkTable, BinaryUpserts>();
    const slow: SinkRecord[] = [];
    for (const [table, rs] of groupByVersion(upserts)) {
      const enc = rs.length >= this.#o.copyThreshold ? binaryRowEncoder(table, target.types) : null;
      if (enc === null) {
        for (const r of rs) slow.push(r);
        continue;
      }
      const chunks: Buffer[] = [];
      const copied = new Set<SinkRecord>();
      const out = new BinaryOut(COPY_CHUNK + 64 * 1024);
      out.ensure(COPY_BINARY_HEADER.length);
      COPY_BINARY_HEADER.copy(out.buf, out.pos);
      out.pos += COPY_BINARY_HEADER.length;
      for (const r of rs) {
        const at = fast.afterAt(r);
        if (at < 0 || r.valueBytes === undefined || !enc.encode(r.valueBytes, at, out)) slow.push(r);
        else {
          copied.add(r);
          if (out.pos >= COPY_CHUNK) chunks.push(out.take());
        }
      }
      out.ensure(2);
      COPY_BINARY_TRAILER.copy(out.buf, out.pos);
      out.pos += 2;
      chunks.push(out.take());
      if (copied.size > 0) binary.set(table, { columns: enc.columns, chunks, copied });
    }
    const refused = new Set<SinkRecord>();
    if (slow.length > 0) {
      const kept = new Set(fast.late(slow));
      for (const r of slow) if (!kept.has(r)) refused.add(r);
    }
    return { binary, refused };
  }

  async #fullLoad(target: TargetShape, reads: readonly SinkRecord[]): Promise<void> {
    const byVersion = groupByVersion(reads);
    const fast = this.#o.fastReads;
    await this.exec('SAVEPOINT ferry_full_load');
    try {
      for (const [table, rs] of byVersion) {
        const cols = this.#columns(target, table).map((x) => x.name);
        let rest: readonly SinkRecord[] = rs;
        if (fast !== undefined) {
          const enc = binaryRowEncoder(table, target.types);
          if (enc !== null) rest = await this.#copyBinary(target, enc, rs, fast.afterAt);
          rest = fast.late(rest);
        }
        if (rest.length > 0) await this.#copy(sql.copyIn(sql.tableName(target.ref), cols), rest.map((r) => this.#o.encode(r, 'after', cols)));
      }
      await this.exec('RELEASE SAVEPOINT ferry_full_load');
    } catch (e: unknown) {
      if ((e as { code?: string }).code !== '23505') throw e;
      await this.exec('ROLLBACK TO SAVEPOINT ferry_full_load');
      const net = netChanges(fast !== undefined ? fast.late(reads) : reads, target.primaryKey);
      await this.#upsertByVersion(target, net.upserts, target.primaryKey);
    }
  }

  /**
   * Binary COPY of the records whose after-image bytes encode (pg-copy-binary.ts), streamed in chunks so the server
   * inserts one while the next is encoded; returns the others (in order), for the text path.
   */
  async #copyBinary(target: TargetShape, enc: BinaryRowEncoder, records: readonly SinkRecord[], afterAt: (r: SinkRecord) => number): Promise<SinkRecord[]> {
    const slow: SinkRecord[] = [];
    let i = 0;
    while (i < records.length && afterAt(records[i]!) < 0) slow.push(records[i++]!);
    if (i === records.length) return slow;
    // A tuple takes about its Avro bytes again (fixed-width fields, 4-byte lengths): size the first buffer by that.
    let estimate = COPY_BINARY_HEADER.length + 2;
    for (let k = i; k < records.length && estimate < COPY_CHUNK; k++) estimate += records[k]!.valueBytes!.length * 2;
    const out = new BinaryOut(Math.min(estimate, COPY_CHUNK + 64 * 1024));
    function* chunks(): Generator<Buffer> {
      out.ensure(COPY_BINARY_HEADER.length);
      COPY_BINARY_HEADER.copy(out.buf, out.pos);
      out.pos += COPY_BINARY_HEADER.length;
      for (; i < records.length; i++) {
        const r = records[i]!;
        const at = afterAt(r);
        if (at < 0 || !enc.encode(r.valueBytes!, at, out)) slow.push(r);
        else if (out.pos >= COPY_CHUNK) yield out.take();
      }
      out.ensure(2);
      COPY_BINARY_TRAILER.copy(out.buf, out.pos);
      out.pos += 2;
      yield out.take();
    }
    await this.flushScript();
    const stream = this.#o.client.query(copyFrom(`${sql.copyIn(sql.tableName(target.ref), enc.columns)} (FORMAT binary)`));
    await pipeline(Readable.from(chunks()), stream);
    return slow;
  }

  async #copy(statement: string, rows: readonly (readonly (string | null)[])[]): Promise<void> {
    await this.flushScript();
    const stream = this.#o.client.query(copyFrom(statement));
    await pipeline(Readable.from(copyChunks(rows)), stream);
  }

  async #upsertByVersion(target: TargetShape, upserts: readonly SinkRecord[], pk: readonly string[], binary?: ReadonlyMap<SinkTable, BinaryUpserts>): Promise<void> {
    for (const [table, all] of groupByVersion(upserts)) {
      const cols = this.#columns(target, table);
      const names = cols.map((x) => x.name);
      const bin = binary?.get(table);
      const rs = bin === undefined ? all : all.filter((r) => !bin.copied.has(r));
      const rows = rs.map((r) => this.#o.encode(r, 'after', names));
      if (bin !== undefined) {
        // The binary tuples (and the few rows that took the text path) into one stage, then one upsert.
        const stage = this.#o.nextStage();
        await this.exec(sql.createStage(stage, target.ref, names));
        await this.flushScript();
        await pipeline(Readable.from(bin.chunks), this.#o.client.query(copyFrom(`${sql.copyIn(sql.ident(stage), bin.columns)} (FORMAT binary)`)));
        if (rows.length > 0) await this.#copy(sql.copyIn(sql.ident(stage), names), rows);
        await this.exec(sql.upsertFromStage(target.ref, stage, names, pk));
      } else if (rows.length >= this.#o.copyThreshold) {
        const stage = this.#o.nextStage();
        await this.exec(sql.createStage(stage, target.ref, names));
        await this.#copy(sql.copyIn(sql.ident(stage), names), rows);
        await this.exec(sql.upsertFromStage(target.ref, stage, names, pk));
      } else {
        await this.#valuesInChunks(rows, cols.length, (n) => sql.insertValues(target.ref, cols, n, pk), (rs) => sql.insertValuesInline(target.ref, cols, rs, pk));
      }
    }
  }

  async #delete(target: TargetShape, deletes: readonly NetDelete[]): Promise<void> {
    const pk = target.primaryKey;
    const keyCols: PgColumn[] = pk.map((k) => ({ name: k, type: target.types.get(k)!, nullable: false }));
    const rows = deletes.map((d) => this.#o.encode(d.record, d.key, pk));
    if (rows.length >= this.#o.copyThreshold) {
      const stage = this.#o.nextStage();
      await this.exec(sql.createStage(stage, target.ref, pk));
      await this.#copy(sql.copyIn(sql.ident(stage), pk), rows);
      await this.exec(sql.deleteStaged(target.ref, stage, pk));
    } else {
      await this.#valuesInChunks(rows, pk.length, (n) => sql.deleteKeys(target.ref, keyCols, n), (rs) => sql.deleteKeysInline(target.ref, keyCols, rs));
    }
  }

  /** A parameterised statement, as a named prepared statement while fewer than 1000 distinct ones were seen. */
  /** A statement without parameters, sent now (after what script mode has collected). */
  async exec(text: string): Promise<void> {
    await this.flushScript();
    await this.#o.client.query(text);
  }

  /** Sends the statements script mode has collected (in order, before anything else is sent). */
  async flushScript(): Promise<void> {
    const script = this.#o.script;
    if (script === undefined || script.length === 0) return;
    const text = script.splice(0).join(';\n');
    await this.#o.client.query(text);
  }

  async #query(text: string, values: (string | null)[]): Promise<void> {
    if (this.#o.script !== undefined) {
      this.#o.script.push(sql.inline(text, values));
      return;
    }
    let name = this.#o.prepared.get(text);
    if (name === undefined && this.#o.prepared.size < 1000) this.#o.prepared.set(text, (name = `ferry_${this.#o.prepared.size + 1}`));
    await this.#o.client.query(name === undefined ? { text, values } : { name, text, values });
  }

  /** `statement(n)`: the parameterised statement for n rows; `inlined(rows)`: the same with the values written in (script mode). */
  async #valuesInChunks(rows: readonly (readonly (string | null)[])[], width: number, statement: (n: number) => string, inlined: (rows: readonly (readonly (string | null)[])[]) => string): Promise<void> {
    if (this.#o.script !== undefined) {
      this.#o.script.push(inlined(rows)); // (no parameter limit: one statement)
      return;
    }
    const per = Math.max(1, Math.floor(MAX_PARAMS / Math.max(1, width)));
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      await this.#query(statement(chunk.length), chunk.flat());
    }
  }

  /** The slow path: one change at a time, each in a savepoint; refused changes go to `refused`. */
  async #applyRowByRow(target: TargetShape, records: readonly SinkRecord[], refused: (record: SinkRecord, reason: string) => void): Promise<void> {
    const c = this.#o.client;
    const pk = target.primaryKey;
    const one = async (r: SinkRecord, f: () => Promise<void>): Promise<void> => {
      await c.query('SAVEPOINT ferry_row');
      try {
        await f();
        await c.query('RELEASE SAVEPOINT ferry_row');
      } catch (e: unknown) {
        if (!isDataError(e)) throw e;
        await c.query('ROLLBACK TO SAVEPOINT ferry_row');
        const err = e as { message?: string; code?: string; column?: string };
        refused(r, `PostgreSQL refused the change${err.column ? ` (column ${err.column})` : ''}: ${err.message ?? String(e)} [SQLSTATE ${err.code}]`);
      }
    };
    if (pk.length === 0) {
      for (const r of records) await one(r, () => this.#applyKeyless(target, [r]));
      return;
    }
    const net = netChanges(records, pk);
    const keyCols: PgColumn[] = pk.map((k) => ({ name: k, type: target.types.get(k)!, nullable: false }));
    for (const d of net.deletes) await one(d.record, async () => { await this.#query(sql.deleteKeys(target.ref, keyCols, 1), this.#o.encode(d.record, d.key, pk)); });
    for (const r of net.upserts) {
      const cols = this.#columns(target, r.table);
      const names = cols.map((x) => x.name);
      await one(r, async () => { await this.#query(sql.insertValues(target.ref, cols, 1, pk), this.#o.encode(r, 'after', names)); });
    }
  }

  /** A table without a primary key: changes in log order, consecutive inserts together. */
  async #applyKeyless(target: TargetShape, records: readonly SinkRecord[]): Promise<void> {
    let inserts: SinkRecord[] = [];
    const flush = async (): Promise<void> => {
      for (const [table, rs] of groupByVersion(inserts)) {
        const cols = this.#columns(target, table);
        const names = cols.map((x) => x.name);
        const rows = rs.map((r) => this.#o.encode(r, 'after', names));
        if (rows.length >= this.#o.copyThreshold) await this.#copy(sql.copyIn(sql.tableName(target.ref), names), rows);
        else await this.#valuesInChunks(rows, cols.length, (n) => sql.insertValues(target.ref, cols, n, null), (rs) => sql.insertValuesInline(target.ref, cols, rs, null));
      }
      inserts = [];
    };
    for (const r of records) {
      const { op, before, after } = r.envelope;
      if (op === 'c' || op === 'r') {
        inserts.push(r);
        continue;
      }
      await flush();
      if (before === null) continue; // nothing identifies the row (REPLICA IDENTITY without the full row)
      const cols = this.#columns(target, r.table);
      const names = cols.map((x) => x.name);
      const beforeText = this.#o.encode(r, 'before', names);
      if (op === 'd') await this.#query(sql.deleteOneRow(target.ref, cols), beforeText);
      else if (op === 'u' && after !== null) await this.#query(sql.updateOneRow(target.ref, cols), [...this.#o.encode(r, 'after', names), ...beforeText]);
    }
    await flush();
  }
}

/** Records grouped by their table version, in first-seen order (a batch may span a schema change). */
function groupByVersion(records: readonly SinkRecord[]): Map<SinkTable, SinkRecord[]> {
  const out = new Map<SinkTable, SinkRecord[]>();
  let last: SinkTable | undefined;
  let g: SinkRecord[] = [];
  for (const r of records) {
    if (r.table !== last) {
      last = r.table;
      const found = out.get(last);
      if (found === undefined) out.set(last, (g = []));
      else g = found;
    }
    g.push(r);
  }
  return out;
}

/** COPY text-format lines, in chunks of about 256 KiB. */
function* copyChunks(rows: readonly (readonly (string | null)[])[]): Generator<string> {
  let buf = '';
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length; i++) line += (i === 0 ? '' : '\t') + copyField(row[i] ?? null);
    buf += `${line}\n`;
    if (buf.length >= 262_144) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}
