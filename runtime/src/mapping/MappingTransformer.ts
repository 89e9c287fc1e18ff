/**
 * Applies a compiled table mapping to change events: the event's table becomes the target TableSchema (renamed id,
 * removed / added / renamed / retyped columns, new primary key), its before/after rows and key are rebuilt, and
 * events excluded by source filters are dropped. The `source` block is left alone: it keeps the real source
 * database and table. Target schemas are cached per source TableSchema object (one per table version), so sinks that
 * cache by TableSchema identity (the Kafka sink) see one object per target table version.
 */
import { FerryError } from '../../../core/src/errors.ts';
import type { ChangeBatch, ChangeEvent, Logger, Row, SourceConnector, TableId, TableSchema } from '../../../core/src/types.ts';
import type { TableMapping } from '../config/table-mapping-schema.ts';
import { compileMapping, type CompiledMapping, type TablePlan, type TargetColumn } from './transform-rules.ts';
import { microsToDateTime, toSqlValue, type SqlValue } from './sql-values.ts';

export interface MappingTransformerOptions {
  readonly log?: Logger;
}

const OPERATION: Readonly<Record<string, string>> = { c: 'INSERT', r: 'INSERT', u: 'UPDATE', d: 'DELETE' };

export class MappingTransformer {
  readonly #mapping: CompiledMapping;
  readonly #log: Logger | undefined;
  readonly #plans = new WeakMap<TableSchema, TablePlan>();
  /** target '<schema>.<table>' → source '<schema>.<table>': DMS does not merge two source tables into one target. */
  readonly #targets = new Map<string, string>();
  #seq = 0n;

  constructor(mapping: TableMapping, options: MappingTransformerOptions = {}) {
    this.#mapping = compileMapping(mapping);
    this.#log = options.log;
  }

  /** False when the mapping changes nothing (no transformation rules, no filters): no need to wrap the source. */
  get transforms(): boolean {
    return this.#mapping.transforms;
  }

  /** The target id of a source table: the schema and table name actions only (what a sink worker names a table). */
  targetId(id: TableId): TableId {
    return this.#mapping.targetId(id);
  }

  /** The plan of a source table version (cached). */
  plan(table: TableSchema): TablePlan {
    let p = this.#plans.get(table);
    if (p) return p;
    p = this.#mapping.plan(table);
    const src = `${table.id.schema}.${table.id.table}`;
    const dst = `${p.target.id.schema}.${p.target.id.table}`;
    const owner = this.#targets.get(dst);
    if (owner !== undefined && owner !== src) {
      throw new FerryError('FERRY_UNSUPPORTED', `the table mapping maps both ${owner} and ${src} to ${dst}; DMS does not replicate two source tables into one target table — change the rename rules`);
    }
    this.#targets.set(dst, src);
    for (const s of p.shadowed) {
      this.#log?.warn({ table: src, rule: s.ruleId, by: s.by }, `table mapping: rule ${s.ruleId} (${s.action}) does not apply to ${s.object} of ${src}: rule ${s.by} already transforms it (one action per object, lowest rule-id wins)`);
    }
    this.#plans.set(table, p);
    return p;
  }

  /** The transformed event, or null when a source filter excludes it. */
  transform(event: ChangeEvent): ChangeEvent | null {
    const plan = this.plan(event.table);
    if (event.op === 't') return { ...event, table: plan.target };
    if (plan.filter) {
      const image = event.op === 'd' ? event.before : event.after;
      if (image && !plan.filter(image)) return null;
    }
    if (plan.rowsUnchanged) return plan.target === event.table ? event : { ...event, table: plan.target };
    const vars = new Vars(event, this);
    const before = event.before ? mapRow(plan, event.before, event, vars) : null;
    const after = event.after ? mapRow(plan, event.after, event, vars) : null;
    const image = after ?? before;
    const key = plan.target.primaryKey.length === 0 || !image ? null : Object.fromEntries(plan.target.primaryKey.map((k) => [k, image[k] ?? null]));
    return { ...event, table: plan.target, before, after, key };
  }

  transformBatch(batch: ChangeBatch): ChangeBatch {
    const events: ChangeEvent[] = [];
    for (const e of batch.events) {
      const t = this.transform(e);
      if (t) events.push(t);
    }
    return { ...batch, events };
  }

  /** A task-unique increasing number for $AR_H_CHANGE_SEQ. */
  nextSeq(): bigint {
    return ++this.#seq;
  }
}

/** $AR_H_* / $AR_M_* values of one event, computed on first use. */
class Vars {
  readonly #event: ChangeEvent;
  readonly #t: MappingTransformer;
  #values: Record<string, SqlValue> | undefined;

  constructor(event: ChangeEvent, t: MappingTransformer) {
    this.#event = event;
    this.#t = t;
  }

  get(name: string): SqlValue {
    if (!this.#values) {
      const e = this.#event;
      const ts = BigInt(e.source.tsMs > 0 ? e.source.tsMs : e.tsMs) * 1000n;
      this.#values = {
        AR_H_OPERATION: OPERATION[e.op] ?? null,
        AR_H_TIMESTAMP: microsToDateTime(ts),
        AR_H_COMMIT_TIMESTAMP: microsToDateTime(ts),
        // 35 digits: a 16-digit timestamp (microseconds) and a 19-digit record number, as DMS describes it.
        AR_H_CHANGE_SEQ: `${ts.toString().padStart(16, '0').slice(-16)}${this.#t.nextSeq().toString().padStart(19, '0')}`,
        AR_H_STREAM_POSITION: String(e.source.position),
        AR_H_TRANSACTION_ID: e.source.txId ?? null,
        AR_M_SOURCE_SCHEMA: e.table.id.schema,
        AR_M_SOURCE_TABLE_NAME: e.table.id.table,
      };
    }
    return this.#values[name] ?? null;
  }
}

function mapRow(plan: TablePlan, row: Row, event: ChangeEvent, vars: Vars): Row {
  const out: Row = {};
  for (const t of plan.columns) {
    const v = value(t, plan, row, event, vars);
    if (v !== undefined) out[t.column.name] = v;
  }
  return out;
}

function value(t: TargetColumn, plan: TablePlan, row: Row, event: ChangeEvent, vars: Vars): unknown {
  const s = t.value;
  switch (s.kind) {
    case 'copy': {
      let v = row[s.from];
      if (v === undefined) return undefined; // not in this image (e.g. a key-only before image)
      if (s.convert) v = s.convert.evaluate({ v: toSqlValue(v, s.fromType) }, event.op);
      return s.mask ? s.mask.mask(v, s.valueType) : v;
    }
    case 'expression': {
      const params: Record<string, SqlValue> = {};
      for (const name of s.expr.variables) {
        if (name.startsWith('AR_')) params[name] = vars.get(name);
        else {
          const c = plan.source.columns.find((x) => x.name === name)!;
          params[name] = toSqlValue(row[name], c.type);
        }
      }
      const v = s.expr.evaluate(params, event.op);
      return s.mask ? s.mask.mask(v, s.valueType) : v;
    }
    case 'before-image':
      return event.before?.[s.from] ?? null;
  }
}

/**
 * The pipeline hook: the source with the task's table mapping applied to every batch it yields (checkpoints and
 * state pass through, so a batch whose events are all filtered out still commits its position). Returns the source
 * itself when the mapping has neither transformation rules nor source filters.
 */
export function withTableMapping(source: SourceConnector, mapping: TableMapping, log?: Logger): SourceConnector {
  const t = new MappingTransformer(mapping, log ? { log } : {});
  if (!t.transforms) return source;
  const wrapped: SourceConnector = {
    async *read(ctx) {
      for await (const batch of source.read(ctx)) yield t.transformBatch(batch);
    },
    acknowledge: (position) => source.acknowledge(position),
    close: () => source.close(),
  };
  if (source.signal) wrapped.signal = (s) => source.signal!(s);
  if (source.signals) wrapped.signals = () => source.signals!();
  return wrapped;
}
