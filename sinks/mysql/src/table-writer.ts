/**
 * Applies one run of changes of one table inside the sink's open transaction (MySqlSink owns the transaction, the
 * table shape and the positions). Values arrive already encoded as SQL literals (mysql-values.ts).
 *
 *   leading snapshot reads       at least LOAD_DATA_MIN_ROWS of them, when the sink may: LOAD DATA LOCAL INFILE …
 *                                REPLACE from a stream (about 2.5× the rows/s of multi-row INSERT); the server turns
 *                                data errors of LOCAL loads into warnings, so the sink fails on any warning
 *   table with a primary key     net change per key (runtime/src/relational/net-changes.ts): multi-row
 *                                DELETE … WHERE (pk) IN (…) of the deleted keys, then multi-row
 *                                INSERT … ON DUPLICATE KEY UPDATE per schema version. Snapshot reads are upserts
 *                                too, so a redelivered or restarted full load overwrites instead of failing.
 *   table without a primary key  in log order: inserts in multi-row statements, each update and delete on one row
 *                                matching the whole before-image (`<=>` per column, LIMIT 1)
 *
 * Statements are cut at `maxStatementBytes` (below the server's max_allowed_packet).
 */
import type { SinkRecord, SinkTable } from '../../../core/src/record-sink.ts';
import type { Row } from '../../../core/src/types.ts';
import { Readable } from 'node:stream';
import { leadingReads, netChanges, type NetDelete } from '../../../runtime/src/relational/net-changes.ts';
import type { ServerInfo } from './mysql-types.ts';
import * as sql from './mysql-sql.ts';
import type { Exec } from './table-schema.ts';

/** SQL literals of a row image for `columns` (by name): 'NULL' for null or absent values. */
export type RowEncoder = (table: SinkTable, row: Row, columns: readonly string[]) => string[];

export interface TargetShape {
  readonly ref: sql.TableRef;
  /** The target's columns: name → normalized type. */
  readonly types: ReadonlyMap<string, string>;
  readonly primaryKey: readonly string[];
}

export interface TableWriterOptions {
  readonly exec: Exec;
  readonly encode: RowEncoder;
  readonly server: ServerInfo;
  readonly upsertAlias: boolean;
  readonly maxStatementBytes: number;
  /** Runs a LOAD DATA LOCAL INFILE statement with this content, failing on any warning. Null: not allowed. */
  readonly loadData: ((statement: string, content: Readable) => Promise<void>) | null;
}

/** Fewer snapshot reads than this go through multi-row INSERT. */
export const LOAD_DATA_MIN_ROWS = 500;

/** A target type whose values the LOAD DATA path carries (bit and spatial values need expressions: INSERT). */
function loadable(type: string): boolean {
  return !/^(bit|geometry|point|linestring|polygon|multi|geometrycollection|geomcollection)\b/.test(type);
}

const BINARY = /^(binary|varbinary|tinyblob|blob|mediumblob|longblob)\b/;
/** Target types whose mysql-values.ts literals are 'NULL' or plain numbers (digits, sign, '.', 'e'), never quoted. */
const NUMERIC = /^(tinyint|smallint|mediumint|int|bigint|decimal|numeric|float|double|real|year)\b/;

/** How a column's literals become fields: FIELD_HEX X'…' (binary), FIELD_NUMBER a plain number, FIELD_ANY either. */
const FIELD_ANY = 0;
const FIELD_HEX = 1;
const FIELD_NUMBER = 2;

function fieldKind(type: string): number {
  return BINARY.test(type) ? FIELD_HEX : NUMERIC.test(type) ? FIELD_NUMBER : FIELD_ANY;
}

/** A SQL literal of mysql-values.ts as a LOAD DATA field; null when it has no field form. */
function field(literal: string, kind: number): string | null {
  if (literal === 'NULL') return '\\N';
  if (kind === FIELD_HEX) return literal.startsWith("X'") ? literal.slice(2, -1) : null;
  if (literal.charCodeAt(0) === 39) {
    const inner = literal.slice(1, -1);
    return inner.includes('\t') ? inner.replace(/\t/g, '\\t') : inner; // the literal's escapes are LOAD DATA's
  }
  return kind === FIELD_NUMBER || /^[-+0-9.e]+$/.test(literal) ? literal : null;
}

export class TableWriter {
  readonly #o: TableWriterOptions;

  constructor(o: TableWriterOptions) {
    this.#o = o;
  }

  /** The version's columns that the target has. */
  #columns(target: TargetShape, table: SinkTable): sql.ColumnRef[] {
    return table.columns.filter((c) => target.types.has(c.name)).map((c) => ({ name: c.name, type: target.types.get(c.name)! }));
  }

  async apply(target: TargetShape, records: readonly SinkRecord[]): Promise<void> {
    const pk = target.primaryKey;
    if (pk.length === 0) return this.#applyKeyless(target, records);
    let todo = records;
    if (this.#o.loadData !== null) {
      const { reads, rest } = leadingReads(records);
      if (reads.length >= LOAD_DATA_MIN_ROWS && (await this.#load(target, reads))) todo = rest;
    }
    if (todo.length === 0) return;
    const net = netChanges(todo, pk);
    if (net.deletes.length > 0) await this.#delete(target, net.deletes);
    for (const [table, rs] of groupByVersion(net.upserts)) {
      const names = this.#columns(target, table).map((c) => c.name);
      const rows = rs.map((r) => this.#o.encode(table, r.envelope.after!, names));
      await this.#multiRow(sql.insertHead(target.ref, names), rows, '', sql.upsertTail(names, pk, this.#o.upsertAlias));
    }
  }

  /** Snapshot reads through LOAD DATA LOCAL INFILE; false (nothing written) when a column has no field form. */
  async #load(target: TargetShape, reads: readonly SinkRecord[]): Promise<boolean> {
    const groups = [...groupByVersion(reads)].map(([table, rs]) => {
      const cols = this.#columns(target, table).map((c) => ({ name: c.name, hex: BINARY.test(c.type), type: c.type }));
      return { table, rs, cols };
    });
    if (groups.some((g) => g.cols.some((c) => !loadable(c.type)))) return false;
    const contents: Buffer[][] = [];
    for (const g of groups) {
      const names = g.cols.map((c) => c.name);
      const out = new LoadDataContent();
      const kinds = g.cols.map((c) => fieldKind(c.type));
      for (const r of g.rs) {
        const lits = this.#o.encode(g.table, r.envelope.after!, names);
        for (let i = 0; i < lits.length; i++) {
          const lit = lits[i]!;
          // A quoted literal without a tab is its field between the quotes: written without a substring.
          if (lit.charCodeAt(0) === 39 && kinds[i] !== FIELD_HEX && !lit.includes('\t')) {
            out.quoted(lit, i === 0);
            continue;
          }
          const f = field(lit, kinds[i]!);
          if (f === null) return false;
          out.field(f, i === 0);
        }
        out.endLine();
      }
      contents.push(out.finish());
    }
    for (const [i, g] of groups.entries()) {
      await this.#o.loadData!(sql.loadData(target.ref, g.cols, target.primaryKey.length > 0), Readable.from(contents[i]!));
    }
    return true;
  }

  async #delete(target: TargetShape, deletes: readonly NetDelete[]): Promise<void> {
    const pk = target.primaryKey;
    const rows = deletes.map((d) => this.#o.encode(d.record.table, d.key, pk));
    await this.#multiRow(sql.deleteHead(target.ref, pk), rows, ')', '', pk.length === 1);
  }

  /** Sends `head` + '(…),(…)' + `close` + `tail`, as many statements as the size limit needs. */
  async #multiRow(head: string, rows: readonly (readonly string[])[], close: string, tail: string, bare = false): Promise<void> {
    const limit = this.#o.maxStatementBytes - head.length - tail.length - 16;
    let buf = '';
    for (const row of rows) {
      const tuple = bare ? row[0]! : `(${row.join(',')})`;
      if (buf.length > 0 && buf.length + tuple.length + 1 > limit) {
        await this.#o.exec(head + buf + close + tail);
        buf = '';
      }
      buf += buf.length > 0 ? `,${tuple}` : tuple;
    }
    if (buf.length > 0) await this.#o.exec(head + buf + close + tail);
  }

  /** A table without a primary key: changes in log order, consecutive inserts together. */
  async #applyKeyless(target: TargetShape, records: readonly SinkRecord[]): Promise<void> {
    let inserts: SinkRecord[] = [];
    const flush = async (): Promise<void> => {
      for (const [table, rs] of groupByVersion(inserts)) {
        const names = this.#columns(target, table).map((c) => c.name);
        await this.#multiRow(sql.insertHead(target.ref, names), rs.map((r) => this.#o.encode(table, r.envelope.after!, names)), '', '');
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
      if (before === null) continue; // nothing identifies the row (PostgreSQL REPLICA IDENTITY without the full row)
      const cols = this.#columns(target, r.table);
      const names = cols.map((c) => c.name);
      const b = this.#o.encode(r.table, before, names);
      if (op === 'd') await this.#o.exec(sql.deleteOneRow(target.ref, cols, b, this.#o.server));
      else if (op === 'u' && after !== null) await this.#o.exec(sql.updateOneRow(target.ref, cols, this.#o.encode(r.table, after, names), b, this.#o.server));
    }
    await flush();
  }
}

/** Records grouped by their table version, in first-seen order (a batch may span a schema change). */
function groupByVersion(records: readonly SinkRecord[]): Map<SinkTable, SinkRecord[]> {
  const out = new Map<SinkTable, SinkRecord[]>();
  for (const r of records) {
    let g = out.get(r.table);
    if (g === undefined) out.set(r.table, (g = []));
    g.push(r);
  }
  return out;
}

/** The LOAD DATA stream's content: fields written as UTF-8 straight into chunks of about 256 KiB (no line strings). */
class LoadDataContent {
  static readonly CHUNK = 262_144;
  readonly #chunks: Buffer[] = [];
  #buf = Buffer.allocUnsafe(LoadDataContent.CHUNK + 65_536);
  /** Each chunk's content starts at byte 1: byte 0 is room for quoted()'s opening quote. */
  #pos = 1;

  /** A field (a tab before it unless it is the line's first). */
  field(s: string, first: boolean): void {
    const need = s.length * 3 + 2; // UTF-8 bytes of a UTF-16 string are at most 3 per code unit
    if (this.#pos + need > this.#buf.length) this.#next(need);
    if (!first) this.#buf[this.#pos++] = 0x09;
    this.#pos += this.#buf.write(s, this.#pos, 'utf8');
  }

  /** A field given as a quoted literal "'…'": its bytes between the quotes (written over the byte before, then restored). */
  quoted(literal: string, first: boolean): void {
    const need = literal.length * 3 + 2;
    if (this.#pos + need > this.#buf.length) this.#next(need);
    if (!first) this.#buf[this.#pos++] = 0x09;
    const at = this.#pos - 1;
    const keep = this.#buf[at]!;
    const n = this.#buf.write(literal, at, 'utf8');
    this.#buf[at] = keep;
    this.#pos = at + n - 1;
  }

  endLine(): void {
    if (this.#pos + 1 > this.#buf.length) this.#next(1);
    this.#buf[this.#pos++] = 0x0a;
    if (this.#pos >= LoadDataContent.CHUNK) this.#next(0);
  }

  finish(): Buffer[] {
    if (this.#pos > 1) this.#chunks.push(this.#buf.subarray(1, this.#pos));
    this.#pos = 1;
    return this.#chunks;
  }

  /** Closes the current chunk (a line may continue in the next: the stream is one byte sequence). */
  #next(need: number): void {
    if (this.#pos > 1) this.#chunks.push(this.#buf.subarray(1, this.#pos));
    this.#buf = Buffer.allocUnsafe(Math.max(LoadDataContent.CHUNK + 65_536, need + 1));
    this.#pos = 1;
  }
}
