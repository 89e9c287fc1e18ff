/**
 * The LOB policy of each table: the task's settings.lob, overridden by a DMS table-settings rule with
 * "lob-settings" whose object-locator matches the SOURCE table (lowest rule-id wins), and the schema change the
 * policy makes to the table (the extra __ferry_truncated and <column>__ferry_ref fields).
 *
 * DMS lob-settings → Ferry (docs/lob.md):
 *   mode "limited"                       → limited, maxSizeKb = bulk-max-size (default settings.lob.maxSizeKb)
 *   mode "unlimited", bulk-max-size 0/—  → full
 *   mode "unlimited", bulk-max-size > 0  → inline with inlineThresholdKb = bulk-max-size when settings.lob.claimCheck
 *                                          is set; else full (values are complete either way)
 *   mode "none"                          → the task-level settings.lob
 */
import type { Column, TableId, TableSchema } from '../../../core/src/types.ts';
import type { LobSettings } from '../config/settings-schema.ts';
import type { TableMapping, TableSettingsRule } from '../config/table-mapping-schema.ts';
import { compileDmsPattern, type DmsPattern } from '../mapping/wildcard.ts';
import { isLobColumn, REF_SUFFIX, TRUNCATED_FIELD } from './lob-values.ts';

export type LobMode = LobSettings['mode'];

export interface TableLobPolicy {
  readonly mode: LobMode;
  /** limited: the most bytes a value keeps. */
  readonly maxBytes: number;
  /** inline / claim-check: values larger than this go to S3. */
  readonly thresholdBytes: number;
  /** 'settings.lob' or 'table-settings rule <id>'. */
  readonly from: string;
}

export interface LobTablePlan {
  readonly policy: TableLobPolicy;
  /** The table the stage receives (after the table mapping). */
  readonly input: TableSchema;
  /** The table the stage emits: `input` itself when nothing is added. */
  readonly output: TableSchema;
  readonly lobColumns: readonly string[];
  /** Whether rows carry TRUNCATED_FIELD. */
  readonly truncatedField: boolean;
  /** LOB column → its reference field, when values may be claim-checked. */
  readonly refFields: ReadonlyMap<string, string>;
}

interface LobRule {
  readonly id: number;
  readonly schema: DmsPattern;
  readonly table: DmsPattern;
  readonly settings: NonNullable<TableSettingsRule['lob-settings']>;
}

const KB = 1024;
const REF_TYPE = { type: 'string', logical: 'io.debezium.data.Json', version: 1 } as const;
const TRUNCATED_TYPE = { type: 'string' } as const;

export class LobPolicies {
  readonly #settings: LobSettings;
  readonly #rules: readonly LobRule[];

  constructor(settings: LobSettings, mapping: TableMapping) {
    this.#settings = settings;
    this.#rules = mapping.rules
      .filter((r): r is TableSettingsRule => r['rule-type'] === 'table-settings' && r['lob-settings'] !== undefined && r['lob-settings'].mode !== 'none')
      .map((r) => ({ id: Number(r['rule-id']), schema: compileDmsPattern(r['object-locator']['schema-name']), table: compileDmsPattern(r['object-locator']['table-name']), settings: r['lob-settings']! }))
      .sort((a, b) => a.id - b.id);
  }

  /** Whether any table can need the stage (a mode other than full, an oversize policy, or a lob-settings rule). */
  get active(): boolean {
    return this.#settings.mode !== 'full' || this.#settings.oversize !== 'fail' || this.#rules.length > 0;
  }

  get oversize(): LobSettings['oversize'] {
    return this.#settings.oversize;
  }

  /** The policy of a source table. */
  policy(source: TableId): TableLobPolicy {
    const s = this.#settings;
    const base: TableLobPolicy = { mode: s.mode, maxBytes: s.maxSizeKb * KB, thresholdBytes: (s.mode === 'inline' ? s.inlineThresholdKb : s.claimCheck?.thresholdKb ?? 0) * KB, from: 'settings.lob' };
    const rule = this.#rules.find((r) => r.schema.test(source.schema) && r.table.test(source.table));
    if (!rule) return base;
    const from = `table-settings rule ${rule.id}`;
    const bulk = rule.settings['bulk-max-size'] === undefined ? 0 : Number(rule.settings['bulk-max-size']);
    if (rule.settings.mode === 'limited') return { ...base, mode: 'limited', maxBytes: (bulk > 0 ? bulk : s.maxSizeKb) * KB, from };
    if (bulk > 0 && s.claimCheck) return { ...base, mode: 'inline', thresholdBytes: bulk * KB, from };
    return { ...base, mode: 'full', from };
  }

  /** The plan of a (mapped) table whose events come from `source`. */
  plan(input: TableSchema, source: TableId): LobTablePlan {
    const policy = this.policy(source);
    const lobColumns = input.columns.filter((c) => isLobColumn(c, input)).map((c) => c.name);
    const truncatedField = lobColumns.length > 0 && (policy.mode === 'limited' || this.#settings.oversize === 'truncate');
    const refs = lobColumns.length > 0 && (policy.mode === 'inline' || policy.mode === 'claim-check' || this.#settings.oversize === 'claim-check');
    const refFields = new Map<string, string>(refs ? lobColumns.map((c) => [c, `${c}${REF_SUFFIX}`]) : []);
    if (!truncatedField && refFields.size === 0) return { policy, input, output: input, lobColumns, truncatedField, refFields };
    const columns: Column[] = input.columns.map((c) => (refFields.has(c.name) && !c.nullable ? { ...c, nullable: true } : c));
    for (const [, f] of refFields) columns.push({ name: f, type: REF_TYPE, nullable: true, sourceType: 'ferry claim-check reference' });
    if (truncatedField) columns.push({ name: TRUNCATED_FIELD, type: TRUNCATED_TYPE, nullable: true, sourceType: 'ferry truncation flag' });
    return { policy, input, output: { ...input, columns }, lobColumns, truncatedField, refFields };
  }
}
