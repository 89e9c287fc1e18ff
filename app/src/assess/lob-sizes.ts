/**
 * LOB columns of the selected tables (runtime/src/lob: text, blob, json, bytea, unbounded varchar; never key
 * columns), their largest values measured with a bounded query, against the task's LOB policy (settings.lob and
 * DMS lob-settings rules, runtime/src/lob/lob-policy.ts) and, with a kafka block, kafka.maxMessageBytes.
 *
 * Bounded: one query per table reads at most `sampleRows` rows (LIMIT in a subquery), under a statement time limit
 * (MariaDB max_statement_time, MySQL MAX_EXECUTION_TIME, PostgreSQL statement_timeout). A table with more rows
 * reports the largest value among those read, as a lower bound.
 */
import type { TableSchema } from '../../../core/src/types.ts';
import { LobPolicies } from '../../../runtime/src/lob/lob-policy.ts';
import { isLobColumn } from '../../../runtime/src/lob/lob-values.ts';
import type { ResolvedTask } from '../task-file/load-task.ts';
import { finding, type Finding, type TableEstimate } from './finding.ts';
import { bytesText } from './source-server.ts';
import { num, type SqlSession } from './sql-session.ts';

export const DEFAULT_LOB_SAMPLE_ROWS = 100_000;
const STATEMENT_SECONDS = 30;

export interface LobMeasure {
  readonly table: string;
  readonly column: string;
  readonly maxBytes: number;
  readonly rowsRead: number;
  /** Whether every row of the table was read. */
  readonly complete: boolean;
}

const myIdent = (n: string) => `\`${n.replace(/`/g, '``')}\``;
const pgIdent = (n: string) => `"${n.replace(/"/g, '""')}"`;

/** The largest value of each LOB column of `t` (bytes; UTF-8 for text) among the first `sampleRows` rows. */
export async function measureTable(s: SqlSession, t: TableSchema, columns: readonly string[], sampleRows: number, mariadb: boolean): Promise<LobMeasure[]> {
  const key = `${t.id.schema}.${t.id.table}`;
  let rows;
  if (s.engine === 'mysql') {
    const list = columns.map((c, i) => `MAX(LENGTH(${myIdent(c)})) AS m${i}`).join(', ');
    const inner = `SELECT ${columns.map(myIdent).join(', ')} FROM ${myIdent(t.id.schema)}.${myIdent(t.id.table)} LIMIT ${sampleRows}`;
    const sql = mariadb
      ? `SET STATEMENT max_statement_time = ${STATEMENT_SECONDS} FOR SELECT ${list}, COUNT(*) AS n FROM (${inner}) x`
      : `SELECT /*+ MAX_EXECUTION_TIME(${STATEMENT_SECONDS * 1000}) */ ${list}, COUNT(*) AS n FROM (${inner}) x`;
    rows = await s.query(sql);
  } else {
    const bytes = new Set(t.columns.filter((c) => c.type.type === 'bytes').map((c) => c.name));
    const list = columns.map((c, i) => `max(octet_length(${pgIdent(c)}${bytes.has(c) ? '' : '::text'})) AS m${i}`).join(', ');
    await s.query(`SET statement_timeout = '${STATEMENT_SECONDS}s'`);
    rows = await s.query(`SELECT ${list}, count(*) AS n FROM (SELECT ${columns.map(pgIdent).join(', ')} FROM ${pgIdent(t.id.schema)}.${pgIdent(t.id.table)} LIMIT ${sampleRows}) x`);
  }
  const r = rows[0] ?? {};
  const n = num(r.n);
  return columns.map((c, i) => ({ table: key, column: c, maxBytes: num(r[`m${i}`]), rowsRead: n, complete: n < sampleRows }));
}

export interface LobAssessOptions {
  readonly sampleRows: number;
  readonly estimates: readonly TableEstimate[] | null;
}

export async function assessLobs(s: SqlSession, task: ResolvedTask, tables: readonly TableSchema[], o: LobAssessOptions): Promise<{ findings: Finding[]; checked: string; measures: LobMeasure[] }> {
  const policies = new LobPolicies(task.settings.lob, task.tableMappings);
  const out: Finding[] = [];
  const mariadb = task.source.engine === 'mariadb';
  const measures: LobMeasure[] = [];
  let failed = 0;
  for (const t of tables) {
    const cols = t.columns.filter((c) => isLobColumn(c, t)).map((c) => c.name);
    if (cols.length === 0) continue;
    let m: LobMeasure[];
    try {
      m = await measureTable(s, t, cols, o.sampleRows, mariadb);
    } catch (e: unknown) {
      failed++;
      out.push(finding({ code: 'LOB_NOT_MEASURED', severity: 'info', category: 'lob', objects: cols.map((c) => ({ table: `${t.id.schema}.${t.id.table}`, column: c })),
        message: `the LOB columns of ${t.id.schema}.${t.id.table} (${cols.join(', ')}) could not be measured: ${(e as Error).message}` }));
      continue;
    }
    measures.push(...m);
    out.push(...lobFindings(task, policies.policy(t.id), m));
  }
  return { findings: out, measures, checked: `${measures.length} LOB columns measured (the first ${o.sampleRows} rows of each table, ${STATEMENT_SECONDS} s limit per query)${failed > 0 ? `, ${failed} tables not measured` : ''}` };
}

/** What the measured sizes mean under the table's LOB policy; pure. */
export function lobFindings(task: Pick<ResolvedTask, 'kafka' | 'settings'>, policy: ReturnType<LobPolicies['policy']>, measures: readonly LobMeasure[]): Finding[] {
  const out: Finding[] = [];
  const kafkaMax = task.kafka?.maxMessageBytes;
  for (const m of measures) {
    const at = [{ table: m.table, column: m.column }];
    const size = `${m.complete ? '' : 'at least '}${bytesText(m.maxBytes)}`;
    const read = m.complete ? `all ${m.rowsRead} rows read` : `largest among the first ${m.rowsRead} rows`;
    const details = { largestBytes: m.maxBytes, rowsRead: m.rowsRead, complete: m.complete, mode: policy.mode, policyFrom: policy.from };
    if (policy.mode === 'limited' && m.maxBytes > policy.maxBytes) {
      out.push(finding({
        code: 'LOB_TRUNCATED', severity: 'warning', category: 'lob', objects: at,
        message: `${m.table}.${m.column} holds values of ${size} (${read}), above the LOB limit of ${bytesText(policy.maxBytes)} (limited mode, ${policy.from}): they are truncated, and the column is named in __ferry_truncated`,
        fix: `raise ${policy.from === 'settings.lob' ? 'settings.lob.maxSizeKb' : `bulk-max-size of ${policy.from}`} to at least ${Math.ceil(m.maxBytes / 1024)}, or use mode full (or inline with a claimCheck bucket) for this table`,
        details: { ...details, limitBytes: policy.maxBytes },
      }));
      continue;
    }
    const carried = policy.mode === 'limited' ? Math.min(m.maxBytes, policy.maxBytes) : policy.mode === 'full' ? m.maxBytes : Math.min(m.maxBytes, policy.thresholdBytes);
    if (kafkaMax !== undefined && carried > kafkaMax && task.settings.lob.oversize === 'fail') {
      out.push(finding({
        code: 'LOB_EXCEEDS_MESSAGE_LIMIT', severity: 'error', category: 'lob', objects: at,
        message: `${m.table}.${m.column} holds values of ${size} (${read}), larger than kafka.maxMessageBytes (${bytesText(kafkaMax)}), with settings.lob.oversize fail: the task stops with FERRY_EVENT_TOO_LARGE at the first such row`,
        fix: `set settings.lob.oversize to claim-check (with settings.lob.claimCheck) or truncate, use LOB mode limited or inline, or raise kafka.maxMessageBytes above ${m.maxBytes + 65536} (and the broker's message.max.bytes)`,
        details: { ...details, maxMessageBytes: kafkaMax },
      }));
      continue;
    }
    out.push(finding({
      code: 'LOB_COLUMN', severity: 'info', category: 'lob', objects: at,
      message: `${m.table}.${m.column}: largest value ${size} (${read}); LOB mode ${policy.mode} (${policy.from})`,
      details,
    }));
  }
  return out;
}
