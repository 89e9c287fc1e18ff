/**
 * A target table created from the schema conversion of the source catalog (core/src/record-sink.ts
 * TargetTableDefinition) instead of from the event schema: the converted column types, nullability, defaults,
 * identity, the primary key, unique keys, checks, and the secondary indexes (with the table, or after its full load).
 *
 * A converted type is used only where it takes every value of the column's event type exactly, as the sink encodes it
 * (`takesEventType`); elsewhere the column gets the event schema's type (pg-types.ts pgType) and a note says so:
 *   - a timestamp/time precision below the event type's (MySQL DATETIME → timestamp(0) from ms events): a later
 *     source ALTER to more fraction digits keeps the same event type, and PostgreSQL would round silently;
 *     MySQL TIME → interval(0) likewise becomes interval;
 *   - PostgreSQL arrays and hstore arrive as Connect arrays and JSON: jsonb;
 *   - bit(1)/varbit(1) arrive as Connect booleans: boolean.
 * Unique constraints are DEFERRABLE INITIALLY DEFERRED: a batch's net changes may move a unique value between rows
 * in an order the source never had; they are checked at the batch's COMMIT.
 */
import type { SinkColumn, SinkTable, TargetTableDefinition } from '../../../core/src/record-sink.ts';
import { alignToEvents } from '../../../runtime/src/schema-conversion/table-definitions.ts';
import { holds, parseType, pgColumns, type TimeType } from './pg-types.ts';
import * as sql from './pg-sql.ts';

const TEXT_INPUT = new Set(['text', 'character varying', 'character', 'uuid', 'inet', 'cidr', 'macaddr', 'macaddr8', 'citext', 'xml', 'json', 'jsonb',
  'tsvector', 'ltree', 'int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange', 'name', '"char"']);
/** format_type() names of built-in types that do not take arbitrary text; any other name is a user-defined type (an enum, a domain). */
const BUILTIN = new Set(['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision', 'boolean', 'bytea', 'date', 'money', 'interval', 'bit', 'bit varying',
  'timestamp without time zone', 'timestamp with time zone', 'time without time zone', 'time with time zone', 'oid', 'point', 'box', 'lseg', 'path', 'polygon', 'circle', 'line', 'hstore']);

/** The converter's spelling of a PostgreSQL type as format_type() prints it, so a created column compares with its definition. */
export function formatType(t: string): string {
  const s = t.trim();
  let m: RegExpExecArray | null;
  if ((m = /^numeric\((\d+)\)$/.exec(s))) return `numeric(${m[1]},0)`;
  if ((m = /^timestamp(?:\((\d)\))?$/.exec(s))) return `timestamp${m[1] !== undefined ? `(${m[1]})` : ''} without time zone`;
  if ((m = /^timestamptz(?:\((\d)\))?$/.exec(s))) return `timestamp${m[1] !== undefined ? `(${m[1]})` : ''} with time zone`;
  if ((m = /^time(?:\((\d)\))?$/.exec(s))) return `time${m[1] !== undefined ? `(${m[1]})` : ''} without time zone`;
  if ((m = /^varchar\((\d+)\)$/.exec(s))) return `character varying(${m[1]})`;
  if ((m = /^char\((\d+)\)$/.exec(s))) return `character(${m[1]})`;
  if (s === 'varchar') return 'character varying';
  if (s === 'bpchar') return 'character';
  // "shop"."mood" → shop.mood (format_type quotes only names that need it)
  return s.replace(/"([a-z_][a-z0-9_]*)"/g, '$1');
}

/**
 * Whether a column of type `have` (format_type spelling) takes every value of the event column `col` exactly, as the
 * sink encodes it (pgEncoder, pg-copy-binary.ts): the converted types the sink keeps.
 */
export function takesEventType(have: string, col: SinkColumn, eventType: string): boolean {
  const h = parseType(have);
  const t = col.type;
  if (/^interval\(\d\)$/.test(have)) return false; // rounds fractions: the event type (interval) instead
  if (holds(have, eventType)) return true;
  switch (t.logical) {
    case 'io.debezium.time.Year': return ['smallint', 'integer', 'bigint'].includes(h.base);
    case 'org.apache.kafka.connect.data.Decimal': {
      // money (PostgreSQL → PostgreSQL): Debezium's Decimal of scale 2 (money.fraction.digits). More fraction digits
      // would be rounded; a value beyond money's range is refused by PostgreSQL (dead-lettered), never altered.
      const scale = Number(t.params?.scale ?? NaN);
      return h.base === 'money' && scale >= 0 && scale <= 2;
    }
    case 'io.debezium.data.Bits': return h.base === 'bit' && h.args[0] === Number(t.params?.length ?? -1);
    case 'io.debezium.data.Json': return h.base === 'json' || h.base === 'jsonb';
  }
  // numeric under the PostgreSQL source's decimalHandlingMode string: the exact decimal text, NaN or ±Infinity
  // (pgEncoder refuses any other text, and ±Infinity where a numeric(p,s) cannot hold it)
  if (t.connect === 'string' && t.logical === undefined && h.base === 'numeric') return true;
  if (t.connect === 'string' && (eventType === 'text' || eventType === 'uuid' || eventType === 'xml')) {
    if (TEXT_INPUT.has(h.base)) return true;
    return !have.endsWith('[]') && !BUILTIN.has(h.base); // an enum or a domain over text: PostgreSQL parses the label
  }
  return false;
}

export interface DefinedColumnType {
  readonly name: string;
  /** What the column is created as. */
  readonly type: string;
  /** Set when the converted type was not kept: the converted type and why. */
  readonly converted?: string;
}

/** Each defined column's type for the events of `latest`: the converted type where it takes the event values, else the event's. */
export function columnTypes(def: TargetTableDefinition, latest: SinkTable, timeType: TimeType): DefinedColumnType[] {
  const eventTypes = new Map(pgColumns(latest, timeType).map((c) => [c.name, c.type]));
  const events = new Map(latest.columns.map((c) => [c.name, c]));
  return def.columns.map((c) => {
    const ev = events.get(c.name);
    const want = eventTypes.get(c.name);
    if (ev === undefined || want === undefined) return { name: c.name, type: c.type };
    if (takesEventType(formatType(c.type), ev, want)) return { name: c.name, type: c.type };
    return { name: c.name, type: want, converted: c.type };
  });
}

export interface DefinedTableDdl {
  /** Types and sequences, the table, what follows it. */
  readonly statements: readonly string[];
  /** CREATE INDEX statements of the secondary indexes. */
  readonly indexes: readonly string[];
  /** One line per column whose converted type was not kept, for the log. */
  readonly notes: readonly string[];
  /** Column → the type it was created with, as format_type prints it. */
  readonly types: ReadonlyMap<string, string>;
}

/** The DDL that creates `ref` from its definition, for the event columns of `latest`. */
export function definedTableDdl(source: TargetTableDefinition, ref: sql.TableRef, latest: SinkTable, timeType: TimeType): DefinedTableDdl {
  const def = alignToEvents(source, new Set(latest.columns.map((c) => c.name)), 'postgres');
  const chosen = columnTypes(def, latest, timeType);
  const inEvents = new Set(latest.columns.map((c) => c.name));
  const lines: string[] = [];
  const notes: string[] = [];
  for (const [i, c] of def.columns.entries()) {
    const ch = chosen[i]!;
    let line = `${sql.ident(c.name)} ${ch.type}`;
    // Another precision of the same type keeps the clauses; another type (jsonb for an array) drops them.
    const sameBase = ch.converted === undefined || parseType(formatType(ch.converted)).base === parseType(ch.type).base;
    if (ch.converted !== undefined) notes.push(`${c.name} ${ch.type} (converted: ${ch.converted})`);
    if (sameBase) {
      if (c.generated !== undefined && !inEvents.has(c.name)) line += c.generated;
      // The sink writes the source's values into identity columns: BY DEFAULT takes them, ALWAYS would refuse them.
      if (c.identity !== undefined) line += c.identity.replace(/GENERATED ALWAYS AS IDENTITY/, 'GENERATED BY DEFAULT AS IDENTITY');
      if (c.default !== undefined) line += ` DEFAULT ${c.default}`;
    }
    // A column the events never carry must take rows without it.
    const notNull = !c.nullable && (inEvents.has(c.name) || c.default !== undefined || c.identity !== undefined || c.generated !== undefined || def.primaryKey.includes(c.name));
    if (notNull) line += ' NOT NULL';
    if (c.check !== undefined && sameBase) line += ` CHECK (${c.check})`;
    lines.push(line);
  }
  if (def.primaryKey.length > 0) lines.push(`PRIMARY KEY (${def.primaryKey.map(sql.ident).join(', ')})`);
  for (const k of def.constraints) lines.push(k.kind === 'unique' ? `${k.sql} DEFERRABLE INITIALLY DEFERRED` : k.sql);
  const create = `CREATE TABLE ${sql.tableName(ref)} (\n  ${lines.join(',\n  ')}\n)`;
  const types = new Map(chosen.map((c) => [c.name, formatType(c.type)]));
  return { statements: [...def.before, create, ...def.after], indexes: def.indexes, notes, types };
}
